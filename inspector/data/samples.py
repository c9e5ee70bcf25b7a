"""scikit-image's colour photographs, the default images of every page, command and benchmark.

They are read straight from the installed package (``skimage/data/``), so nothing is ever
downloaded: the ``skimage.data`` functions of the same names would fetch a missing file with
pooch. They go through the same bounded decoder as a user's files (``data.images.load_image``):
one path for every photo, whoever gave it.
"""

from __future__ import annotations

import importlib.resources

from PIL import Image

from inspector.data.images import fit_square, load_image
from inspector.errors import UserError
from models.text import Text

# Left out: the grey ones, drawings and synthetic charts (logo, color, chessboard), and
# motorcycle_right, the other half of a stereo pair with motorcycle_left, which would put almost
# the same picture on both sides of a train/val split.
SAMPLE_FILES: dict[str, str] = {
    "astronaut": "astronaut.png",
    "chelsea": "chelsea.png",
    "coffee": "coffee.png",
    "hubble_deep_field": "hubble_deep_field.jpg",
    "immunohistochemistry": "ihc.png",
    "motorcycle": "motorcycle_left.png",
    "retina": "retina.jpg",
    "rocket": "rocket.jpg",
}
DEFAULT_SAMPLE = "astronaut"  # the photo a command or a page shows when none is given


def sample_photo(name: str = DEFAULT_SAMPLE, size: int | None = None) -> Image.Image:
    """The sample photo ``name`` (a key of :data:`SAMPLE_FILES`) as an RGB image, decoded by
    ``load_image``; with ``size``, scaled and cut to a (size, size) square as training images are
    (``fit_square``). ``UserError`` when the name is unknown or this scikit-image lacks the file."""
    if name not in SAMPLE_FILES:
        raise UserError(
            Text(
                "there is no sample photo {name}; the samples are: {names}",
                name=repr(name),
                names=", ".join(SAMPLE_FILES),
            )
        )
    resource = importlib.resources.files("skimage") / "data" / SAMPLE_FILES[name]
    if not resource.is_file():
        raise UserError(Text("{filename} is not shipped with this scikit-image", filename=SAMPLE_FILES[name]))
    image = load_image(resource.read_bytes(), name, draft_size=size)
    return image if size is None else fit_square(image, size)
