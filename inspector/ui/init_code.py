"""The code each init scheme runs on one layer ``m``, as the Weight init page shows it.

Written with the ``nn.init`` calls a learner knows. ``models.init.init_weights`` draws the same
distributions on the CPU from its own generator (so that a seed gives the same numbers on any
device); ``tests/app/test_init_code.py`` runs every snippet here and checks it against
``init_weights``, so the page cannot drift from what runs. The ``normal`` scheme is the
notebook's own ``ini_weight`` (``notebook_code.INIT``).
"""

from __future__ import annotations


def _conv_rule(draw: str) -> str:
    """The per-layer code of a scheme that draws conv weights with ``draw``; the rest is shared."""
    return f"""\
if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
    {draw}
    if m.bias is not None:
        nn.init.zeros_(m.bias)
elif isinstance(m, nn.BatchNorm2d):
    nn.init.normal_(m.weight, 1.0, gain)
    nn.init.zeros_(m.bias)
"""


# Each snippet runs as is with ``m`` (a module), ``gain`` (a float) and ``nn`` (torch.nn) defined.
INIT_CODE: dict[str, str] = {
    "xavier": _conv_rule("nn.init.xavier_normal_(m.weight, gain=gain)  # std gain·√(2/(fan_in+fan_out))"),
    "kaiming": _conv_rule("nn.init.kaiming_normal_(m.weight)  # std √(2/fan_in), for ReLU"),
    "default": """\
if hasattr(m, "reset_parameters"):
    # PyTorch's own: conv weights U(-b, b), b = 1/√fan_in (kaiming_uniform_ with a=√5);
    # BatchNorm γ = 1, β = 0
    m.reset_parameters()
""",
}
