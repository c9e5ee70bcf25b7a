"""What does the tracer cost over a bare meta forward, and how fast is the doctor? ``python bench/doctor_overhead.py``

Prints, measured in this run, for several real models (torchvision, timm, segmentation_models_pytorch,
MONAI, built without weights) and our notebook generator: the median time of a bare forward of a
meta copy, of the traced pass over the same copy (``inspector.shapes.engine.run_traced``: hooks,
the TorchFunctionMode, the records), their ratio, and the whole ``diagnose`` of the model (its
own meta copies included). Targets: traced / bare under 2x; the doctor on densenet121 well under
a second. Models whose library is not installed are skipped.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

import torch
from timing import median_seconds  # bench/timing.py
from torch import nn

from inspector.doctor.diagnose import diagnose
from inspector.shapes.engine import run_traced
from inspector.shapes.meta import meta_copy
from models import build_generator, preset


def _models() -> list[tuple[str, Callable[[], nn.Module], tuple[int, ...]]]:
    def tv(name: str) -> Callable[[], nn.Module]:
        def build() -> nn.Module:
            import torchvision

            return torchvision.models.get_model(name, weights=None)

        return build

    def timm_model(name: str) -> Callable[[], nn.Module]:
        def build() -> nn.Module:
            import timm

            return timm.create_model(name, pretrained=False)

        return build

    def smp_unet() -> nn.Module:
        import segmentation_models_pytorch as smp

        return smp.Unet("resnet34", encoder_weights=None)

    def monai_unet() -> nn.Module:
        from monai.networks.nets import BasicUNet

        return BasicUNet(spatial_dims=2, in_channels=1, out_channels=2)

    img = (1, 3, 224, 224)
    return [
        ("notebook generator", lambda: build_generator(preset("notebook")[0]), (1, 1, 256, 256)),
        ("torchvision densenet121", tv("densenet121"), img),
        ("torchvision resnet50", tv("resnet50"), img),
        ("torchvision convnext_tiny", tv("convnext_tiny"), img),
        ("torchvision vit_b_16", tv("vit_b_16"), img),
        ("timm efficientnet_b0", timm_model("efficientnet_b0"), img),
        ("smp Unet resnet34", smp_unet, (1, 3, 256, 256)),
        ("monai BasicUNet 2d", monai_unet, (1, 1, 128, 128)),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed calls of each step (default: 5)")
    args = parser.parse_args()

    print(f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads, median of {args.repeats}")
    print(f"{'model':28} {'bare meta':>10} {'traced':>10} {'ratio':>6} {'doctor':>10}")
    for label, build, shape in _models():
        try:
            model = build().eval()
        except ImportError:
            print(f"{label:28} (library not installed: skipped)")
            continue
        copy = meta_copy(model)
        x = torch.empty(shape, device="meta")

        def bare(copy: nn.Module = copy, x: torch.Tensor = x) -> object:
            with torch.no_grad():
                return copy(x)

        t_bare = median_seconds(bare, args.repeats)
        t_traced = median_seconds(lambda c=copy, s=shape: run_traced(c, s), args.repeats)
        t_doctor = median_seconds(lambda m=model, s=shape: diagnose(m, s), args.repeats)
        print(
            f"{label:28} {t_bare * 1e3:8.1f}ms {t_traced * 1e3:8.1f}ms {t_traced / t_bare:5.2f}x "
            f"{t_doctor * 1e3:8.1f}ms"
        )
    print("targets: traced / bare < 2x; the doctor on densenet121 well under 1 s")


if __name__ == "__main__":
    main()
