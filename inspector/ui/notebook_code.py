"""The study notebook's code, verbatim (its comments are the student's Korean notes).

Pages show these next to the picture they explain. The cells are kept as text files in
``notes_code/`` (read once, at import): they are the notes' words, not this project's code, so
they are data, copied from the notes byte for byte (trailing spaces included).
``DISCRIMINATOR_AS_WRITTEN`` keeps the notebook's typo (second conv ``Conv2d(3, 64)``);
``DISCRIMINATOR`` is the same with it fixed.
"""

from importlib.resources import files


def _cell(name: str) -> str:
    """The notes' cell ``notes_code/{name}.txt``, as written."""
    return files("inspector.ui").joinpath("notes_code", f"{name}.txt").read_text(encoding="utf-8")


SPLIT = _cell("split")  # the COCO split (15,000 / 5,000 of 20,000, seeded by the clock)
DATASET = _cell("dataset")  # ColorizationDataset: RGB -> Lab, L/50 - 1 and ab/110
DATALOADER = _cell("dataloader")
GENERATOR = _cell("generator")  # Pix2Pix_Generator: input_layer, encoder_1..6, middle, decoder_6..1
DISCRIMINATOR_AS_WRITTEN = _cell("discriminator_as_written")  # with the Conv2d(3, 64) typo
INIT = _cell("init")  # ini_weight / model_init: N(0, 0.02)
KAIMING_INIT = _cell("kaiming_init")  # the notes' He-init example

DISCRIMINATOR = DISCRIMINATOR_AS_WRITTEN.replace(
    "nn.Conv2d(3, 64, kernel_size=4, stride=2, padding=1, bias=False),\n            nn.BatchNorm2d(128)",
    "nn.Conv2d(64, 128, kernel_size=4, stride=2, padding=1, bias=False),\n            nn.BatchNorm2d(128)",
)
