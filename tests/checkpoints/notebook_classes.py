"""The study notebook's ``Pix2Pix_Generator`` and ``Pix2Pix_Discriminator``, as its code writes them.

Copied layer for layer from the notes (``shared/seed``): the same attribute names, the same
``nn.Sequential`` positions, ``bias=False`` everywhere but the last ConvTranspose2d, Dropout in
every decoder, and the discriminator's typo (``Conv2d(3, 64)`` before ``BatchNorm2d(128)``) unless
``fixed``. One liberty, for fast tests: every channel count is scaled by ``width / 64`` (``width=64``
is the notebook exactly: 54,407,810 and 2,765,568 parameters, the latter fixed).
"""

from __future__ import annotations

import torch
from torch import nn


class Pix2Pix_Generator(nn.Module):
    def __init__(self, width: int = 64) -> None:
        super().__init__()
        c = [width * m for m in (1, 2, 4, 8)]  # 64, 128, 256, 512 in the notebook

        def down(cin: int, cout: int) -> nn.Sequential:
            return nn.Sequential(
                nn.LeakyReLU(0.2, True),
                nn.Conv2d(cin, cout, kernel_size=4, stride=2, padding=1, bias=False),
                nn.BatchNorm2d(cout),
            )

        def up(cin: int, cout: int) -> nn.Sequential:
            return nn.Sequential(
                nn.ReLU(True),
                nn.ConvTranspose2d(cin, cout, kernel_size=4, stride=2, padding=1, bias=False),
                nn.BatchNorm2d(cout),
                nn.Dropout(0.5),
            )

        self.input_layer = nn.Sequential(nn.Conv2d(1, c[0], kernel_size=4, stride=2, padding=1, bias=False))
        self.encoder_1 = down(c[0], c[1])
        self.encoder_2 = down(c[1], c[2])
        self.encoder_3 = down(c[2], c[3])
        self.encoder_4 = down(c[3], c[3])
        self.encoder_5 = down(c[3], c[3])
        self.encoder_6 = down(c[3], c[3])
        self.middle = nn.Sequential(
            nn.LeakyReLU(0.2, True),
            nn.Conv2d(c[3], c[3], kernel_size=4, stride=2, padding=1, bias=False),
            nn.ReLU(True),
            nn.ConvTranspose2d(c[3], c[3], kernel_size=4, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(c[3]),
        )
        self.decoder_6 = up(2 * c[3], c[3])
        self.decoder_5 = up(2 * c[3], c[3])
        self.decoder_4 = up(2 * c[3], c[3])
        self.decoder_3 = up(2 * c[3], c[2])
        self.decoder_2 = up(2 * c[2], c[1])
        self.decoder_1 = up(2 * c[1], c[0])
        self.output_layer = nn.Sequential(
            nn.ReLU(True),
            nn.ConvTranspose2d(c[0], 2, kernel_size=4, stride=2, padding=1),
            nn.Tanh(),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        input_layer = self.input_layer(x)
        encoder_1 = self.encoder_1(input_layer)
        encoder_2 = self.encoder_2(encoder_1)
        encoder_3 = self.encoder_3(encoder_2)
        encoder_4 = self.encoder_4(encoder_3)
        encoder_5 = self.encoder_5(encoder_4)
        encoder_6 = self.encoder_6(encoder_5)
        middle = self.middle(encoder_6)
        cat_6 = torch.cat((middle, encoder_6), dim=1)
        decoder_6 = self.decoder_6(cat_6)
        cat_5 = torch.cat((decoder_6, encoder_5), dim=1)
        decoder_5 = self.decoder_5(cat_5)
        cat_4 = torch.cat((decoder_5, encoder_4), dim=1)
        decoder_4 = self.decoder_4(cat_4)
        cat_3 = torch.cat((decoder_4, encoder_3), dim=1)
        decoder_3 = self.decoder_3(cat_3)
        cat_2 = torch.cat((decoder_3, encoder_2), dim=1)
        decoder_2 = self.decoder_2(cat_2)
        cat_1 = torch.cat((decoder_2, encoder_1), dim=1)
        decoder_1 = self.decoder_1(cat_1)
        return self.output_layer(decoder_1)


class Pix2Pix_Discriminator(nn.Module):
    def __init__(self, width: int = 64, fixed: bool = False) -> None:
        super().__init__()
        c = [width * m for m in (1, 2, 4, 8)]
        # The notebook's typo: the second conv reads Conv2d(3, 64) where Conv2d(64, 128) is meant.
        second = (
            nn.Conv2d(c[0], c[1], 4, 2, 1, bias=False) if fixed else nn.Conv2d(3, c[0], 4, 2, 1, bias=False)
        )
        self.model = nn.Sequential(
            nn.Conv2d(3, c[0], kernel_size=4, stride=2, padding=1, bias=False),
            nn.LeakyReLU(0.2, True),
            second,
            nn.BatchNorm2d(c[1]),
            nn.LeakyReLU(0.2, True),
            nn.Conv2d(c[1], c[2], kernel_size=4, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(c[2]),
            nn.LeakyReLU(0.2, True),
            nn.Conv2d(c[2], c[3], kernel_size=4, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(c[3]),
            nn.LeakyReLU(0.2, True),
            nn.Conv2d(c[3], 1, kernel_size=4, stride=2, padding=1, bias=False),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)
