""" "Follow the notes": the study notes' sections in their order, as data.

Each section has the notebook's code of that cell (``inspector.ui.notebook_code``, verbatim), a few
sentences on what to look at (English messages, translated at render time), and links that open
the page showing it in the right state (``inspector.ui.links``). Every page of the registry is
linked from the section it belongs to (a test holds the walk to it). The page
``pages/follow_notes.py`` only draws this list.
"""

from __future__ import annotations

from dataclasses import dataclass

from inspector.i18n.catalog import N_
from inspector.ui import doctor_examples
from inspector.ui import notebook_code as nb
from inspector.ui.links import link_params
from inspector.ui.page_registry import page_file


@dataclass(frozen=True)
class Link:
    page: str  # the page's id in the page registry
    label: str  # an English message
    params: tuple[tuple[str, str], ...] = ()  # the state the page opens in (links.arrival reads it)


@dataclass(frozen=True)
class Section:
    key: str
    title: str  # an English message
    code: str  # the notebook's code of the cell, verbatim
    look: tuple[str, ...]  # two or three English sentences on what to look at
    links: tuple[Link, ...]


def _cell(code: str, first: str, last: str | None = None) -> str:
    """The lines of ``code`` from the first that contains ``first`` up to the one containing ``last``."""
    lines = code.splitlines()
    start = next(i for i, line in enumerate(lines) if first in line)
    end = len(lines) if last is None else next(i for i in range(start + 1, len(lines)) if last in lines[i])
    return "\n".join(lines[start : end + 1 if last is not None else end])


def _link(page_id: str, label: str, **state: str | int) -> Link:
    params = link_params(**state)  # type: ignore[arg-type]
    page_file(page_id)  # an unknown page fails here, at import
    return Link(page_id, label, tuple(params.items()))


SECTIONS: tuple[Section, ...] = (
    Section(
        "split",
        N_("The photos: 20,000 chosen, 15,000 / 5,000"),
        nb.SPLIT,
        (
            N_(
                "The notes choose 20,000 COCO photos and split them: 15,000 for training, 5,000 for validation."
            ),
            N_(
                "The seed is the clock (int(time.time())): every run of the notebook picks other photos and "
                "other batches, so a result cannot be reproduced. Fix the seed to compare two runs."
            ),
            N_(
                "The Train page seeds its split and its batches (Seed, under More settings): the same seed "
                "gives the same run."
            ),
        ),
        (_link("train", N_("Train with a fixed seed")),),
    ),
    Section(
        "data",
        N_("Data and Lab"),
        nb.DATASET,
        (
            N_("The photo is converted from RGB to Lab: L is the lightness, a and b are the colour."),
            N_("The generator reads L scaled to [-1, 1] (L/50 - 1) and must predict ab/110."),
            N_("Look at how little colour most pixels have: that is why early results look grey."),
            N_(
                "Training photos are resized and flipped at random (RandomHorizontalFlip, a data augmentation); "
                "validation photos are only resized, so they are judged the same way every time."
            ),
        ),
        (_link("lab_colour", N_("Open Lab colour with the astronaut photo"), example="astronaut"),),
    ),
    Section(
        "dataloader",
        N_("Dataset and DataLoader shapes"),
        nb.DATALOADER,
        (
            N_("One item is a dict of two tensors: L of shape 1 x 256 x 256 and ab of shape 2 x 256 x 256."),
            N_(
                "The DataLoader stacks 16 of them: torch.Size([16, 1, 256, 256]) and torch.Size([16, 2, 256, 256])."
            ),
            N_("Every shape in the app is written B x C x H x W in the same order."),
        ),
        (_link("lab_colour", N_("See the tensor shapes of one photo"), example="coffee"),),
    ),
    Section(
        "module",
        N_("nn.Module and nn.Sequential"),
        _cell(nb.GENERATOR, "class Pix2Pix_Generator", "nn.BatchNorm2d(128)") + "\n        )",
        (
            N_("A network is a subclass of nn.Module: __init__ defines the layers, forward connects them."),
            N_(
                "Each block is an nn.Sequential, so torchinfo lists input_layer, encoder_1 ... as named blocks."
            ),
            N_(
                "Every conv before a BatchNorm has bias=False: BatchNorm subtracts each channel's mean, which "
                "removes any bias, and adds its own. That is why the notes find that the bias hardly matters."
            ),
            N_(
                "LeakyReLU(0.2, True) works in place: it saves memory by overwriting its input (the notes' "
                "comment). That input is also a skip's tensor, so the torch.cat later gets the activated values."
            ),
        ),
        (
            _link("architecture", N_("Open Architecture with the notebook's models"), preset="notebook"),
            _link(
                "mismatch_doctor",
                N_("See the doctor's note on the in-place skips"),
                preset="notebook",
                part="generator",
                example=doctor_examples.SIDEBAR_G,
            ),
        ),
    ),
    Section(
        "transpose",
        N_("ConvTranspose2d"),
        _cell(nb.GENERATOR, "self.middle = nn.Sequential", "nn.BatchNorm2d(512)") + "\n        )",
        (
            N_(
                "Conv2d with kernel 4, stride 2, padding 1 halves the size; "
                "ConvTranspose2d with the same numbers doubles it."
            ),
            N_(
                "A convolution gathers a window into one value; a transposed convolution scatters one value into a window."
            ),
        ),
        (_link("conv_vs_transpose", N_("Open Conv vs ConvTranspose with k=4, s=2, p=1")),),
    ),
    Section(
        "dropout",
        N_("Dropout"),
        _cell(nb.GENERATOR, "self.decoder_6 = nn.Sequential", "오버피팅") + "\n        )",
        (
            N_(
                "The code puts Dropout(0.5) in all six decoder blocks, while the notes' own comment reads "
                "CD512-CD512-CD512-C512-C256-C128-C64: dropout (D) in the first three only, as in the paper."
            ),
            N_(
                "The notes say dropout cuts the network's connections at random: that is DropConnect. Dropout "
                "zeroes activations: each value the layer outputs is 0 with probability 0.5, the others doubled."
            ),
            N_(
                "The pix2pix reference puts it only in the three innermost decoders, and keeps it on at test time."
            ),
            N_("Dropout & BatchNorm runs one photo through the generator several times with dropout on."),
        ),
        (
            _link(
                "dropout_batchnorm",
                N_("Open Dropout & BatchNorm on the notebook's generator"),
                preset="notebook",
            ),
            _link("architecture", N_("Compare the notebook with the pix2pix reference"), preset="notebook"),
        ),
    ),
    Section(
        "generator",
        N_("The generator (U-Net)"),
        _cell(nb.GENERATOR, "def forward", "return output"),
        (
            N_("Each torch.cat puts an encoder's output beside the decoder's: the channels add up."),
            N_("That is why decoder_5 takes 1024 channels, not 512."),
            N_("Try an input of 300 on the page: the skip connections no longer fit."),
        ),
        (
            _link("skip_connections", N_("Open Skip connections at 256 x 256"), preset="notebook", size=256),
            _link(
                "feature_maps",
                N_("See a photo go through every block and every torch.cat"),
                preset="notebook",
            ),
        ),
    ),
    Section(
        "discriminator",
        N_("The discriminator and its typo"),
        nb.DISCRIMINATOR_AS_WRITTEN,
        (
            N_(
                "The second conv is written Conv2d(3, 64), but it receives the 64 channels of the first conv."
            ),
            N_("The model builds without an error and fails on the first forward pass."),
            N_(
                "Fixed to Conv2d(64, 128), its one output channel is an 8 x 8 map, not one number: a real or "
                "fake score per patch."
            ),
            N_(
                "No sigmoid at the end (the notes' comment): BCEWithLogitsLoss applies it inside the loss, in a "
                "numerically safer form."
            ),
        ),
        (
            _link(
                "mismatch_doctor",
                N_("Open the typo in the Mismatch doctor"),
                preset="notebook-as-written",
                part="discriminator",
                example=doctor_examples.AS_WRITTEN,
            ),
            _link("receptive_field", N_("See the patch each output cell judges"), preset="notebook"),
        ),
    ),
    Section(
        "init",
        N_("The weight initialization"),
        nb.INIT,
        (
            N_("Conv and ConvTranspose weights are drawn from N(0, 0.02), as in section 6.2 of the paper."),
            N_(
                "BatchNorm weights start near 1 (N(1, 0.02)) and their biases at 0. The notes' comment speaks of "
                "a bias of 1 filled with 0, but PyTorch's BatchNorm bias already starts at 0: the weight starts at 1."
            ),
            N_(
                "Why the init matters: He (Kaiming) suits ReLU and Xavier suits tanh, because each keeps the "
                "activations' spread steady from layer to layer; pix2pix draws every conv from N(0, 0.02)."
            ),
            N_(
                "ini_weight tests type(m) == nn.Conv2d, which matches that exact class only; isinstance(m, "
                "nn.Conv2d), as in the notes' second example, matches its subclasses too."
            ),
            N_("model.apply(ini_weight) calls the function once for every layer of the network."),
        ),
        (_link("weight_init", N_("Open Weight init on the generator"), preset="notebook", part="generator"),),
    ),
    Section(
        "output",
        N_("From L to colour: the output layer, then training"),
        _cell(nb.GENERATOR, "# 입력 레이어 : L채널 -> 출력 레이어 : ab채널", "# Tanh 함수는") + "\n        )",
        (
            N_(
                "output_layer gives two channels, a and b, and Tanh keeps them in [-1, 1]: times 110 they are the colour."
            ),
            N_(
                "With the N(0, 0.02) weights of the init the generator predicts almost no colour: "
                "the colours come from training."
            ),
            N_("Colorize puts the L of a photo together with the ab the generator predicts."),
        ),
        (
            _link("train", N_("Train the networks on a few photos")),
            _link("class_runs", N_("See every run of the class side by side")),
            _link("colorize", N_("Colorize a photo with a trained generator")),
            _link(
                "checkpoints",
                N_("Bring a checkpoint from anywhere: see what it holds, prove it, compare two"),
            ),
        ),
    ),
)

# The notes' three parts, as their intro says (the data, the two networks, then the
# initialization): each part's title and how many of the sections above it holds, in order. The
# page shows one part at a time (a tab each), a third of the walk per view.
PARTS: tuple[tuple[str, int], ...] = (
    (N_("The data"), 3),
    (N_("The two networks"), 5),
    (N_("The initialization and training"), 2),
)


def parts() -> list[tuple[str, int, tuple[Section, ...]]]:
    """Each part's title, the number of its first section (1-based) and its sections."""
    out, start = [], 0
    for title, count in PARTS:
        out.append((title, start + 1, SECTIONS[start : start + count]))
        start += count
    return out
