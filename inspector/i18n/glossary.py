"""The glossary: each term of the notes as Korean deep-learning courses say it, beside the English.

The pairs are data (the pairing is the point); each one-line explanation is an English message that
the catalog translates like any other UI text.
"""

from __future__ import annotations

from dataclasses import dataclass

from inspector.i18n.catalog import N_


@dataclass(frozen=True)
class Term:
    english: str  # the term in English papers and PyTorch's docs
    korean: str  # the term as Korean courses and the notes write it
    code: str  # where it appears in PyTorch or the notebook ("" when nowhere in particular)
    meaning: str  # one English sentence, translated through the catalog


GLOSSARY: tuple[Term, ...] = (
    Term(
        "generator",
        "생성기",
        "Pix2Pix_Generator",
        N_("The U-Net that turns the L channel into the ab channels."),
    ),
    Term(
        "discriminator",
        "판별기",
        "Pix2Pix_Discriminator",
        N_("The network that judges, patch by patch, whether an Lab image is real or generated."),
    ),
    Term(
        "encoder",
        "인코더",
        "encoder_1 ... encoder_6",
        N_("The contracting path: each block halves the size."),
    ),
    Term(
        "decoder", "디코더", "decoder_6 ... decoder_1", N_("The expanding path: each block doubles the size.")
    ),
    Term(
        "skip connection",
        "스킵 연결",
        "torch.cat((x, skip), dim=1)",
        N_(
            "An encoder output handed straight to the decoder block of the same size, stacked on the channels."
        ),
    ),
    Term(
        "concatenation",
        "이어 붙이기",
        "torch.cat",
        N_("Stacking tensors along one dimension: channels add up."),
    ),
    Term(
        "convolution",
        "합성곱",
        "nn.Conv2d",
        N_("A kernel slid over the input; with stride 2 it halves the size."),
    ),
    Term(
        "transposed convolution",
        "전치 합성곱",
        "nn.ConvTranspose2d",
        N_(
            "Each input value scatters a copy of the kernel into the output; with stride 2 it doubles the size."
        ),
    ),
    Term(
        "kernel", "커널", "kernel_size", N_("The small grid of weights a convolution slides over its input.")
    ),
    Term("stride", "스트라이드", "stride", N_("How many pixels the kernel moves at each step.")),
    Term("padding", "패딩", "padding", N_("Zeros added around the input before the kernel slides over it.")),
    Term(
        "channel",
        "채널",
        "in_channels, out_channels",
        N_("One feature plane; the C of a B x C x H x W tensor."),
    ),
    Term("feature map", "특징 맵", "", N_("One channel of a layer's output: what the layer found where.")),
    Term(
        "batch",
        "배치",
        "batch_size=16",
        N_("The images processed together in one step; the B of B x C x H x W."),
    ),
    Term(
        "batch normalization",
        "배치 정규화",
        "nn.BatchNorm2d",
        N_(
            "Normalizes each channel with the mean and variance of the batch (in training) or running averages (in eval)."
        ),
    ),
    Term(
        "instance normalization",
        "인스턴스 정규화",
        "nn.InstanceNorm2d",
        N_("Normalizes each channel of each image on its own; BatchNorm at batch size 1 does the same."),
    ),
    Term(
        "dropout",
        "드롭아웃",
        "nn.Dropout(0.5)",
        N_("Zeroes random elements in training; pix2pix keeps it at test time as its source of noise."),
    ),
    Term(
        "activation function",
        "활성화 함수",
        "nn.ReLU, nn.LeakyReLU, nn.Tanh",
        N_("The non-linearity after a layer."),
    ),
    Term(
        "weight initialization",
        "가중치 초기화",
        "ini_weight, model.apply",
        N_("Setting the weights before training; pix2pix draws them from N(0, 0.02)."),
    ),
    Term(
        "normal distribution",
        "정규 분포",
        "nn.init.normal_",
        N_("The bell curve; N(0, 0.02) has mean 0 and std 0.02."),
    ),
    Term(
        "receptive field",
        "수용 영역",
        "",
        N_("The part of the input image that one output value can see."),
    ),
    Term(
        "patch",
        "패치",
        "PatchGAN",
        N_("A square region of the image that one cell of the discriminator's map judges."),
    ),
    Term("parameter", "파라미터", "model.parameters()", N_("A weight or bias the optimizer learns.")),
    Term("tensor", "텐서", "torch.Tensor", N_("A multi-dimensional array, here B x C x H x W.")),
    Term(
        "upsampling",
        "업샘플링",
        "",
        N_("Making the feature maps larger, here with a transposed convolution."),
    ),
    Term(
        "downsampling",
        "다운샘플링",
        "",
        N_("Making the feature maps smaller, here with a stride-2 convolution."),
    ),
    Term(
        "loss function",
        "손실 함수",
        "nn.BCEWithLogitsLoss, nn.L1Loss",
        N_("The number training makes smaller."),
    ),
    Term(
        "adversarial loss",
        "적대적 손실",
        "BCEWithLogitsLoss",
        N_(
            "The GAN part of the generator's loss: how surely the discriminator calls its output fake; "
            "the generator learns to make it smaller."
        ),
    ),
    Term("learning rate", "학습률", "lr=2e-4", N_("How big a step the optimizer takes along the gradient.")),
    Term(
        "gradient",
        "기울기",
        "loss.backward()",
        N_("The direction in which the loss grows fastest."),
    ),
    Term(
        "overfitting",
        "과적합",
        "",
        N_("Fitting the training images so closely that new images come out worse."),
    ),
    Term("colorization", "컬러화", "", N_("Predicting the colour (ab) of a grey image (L).")),
    Term(
        "Lab colour space",
        "Lab 색 공간",
        "rgb2lab",
        N_("L is lightness (0-100); a and b are the colour axes (about -110 to 110)."),
    ),
    Term(
        "checkpoint",
        "체크포인트",
        "checkpoint.safetensors",
        N_("The saved weights and optimizer state of a run."),
    ),
    Term("inference", "추론", "model.eval()", N_("Using a trained network on new input.")),
    Term(
        "neural network",
        "신경망",
        "nn.Module",
        N_("Layers put together in an nn.Module; here the generator and the discriminator."),
    ),
    Term(
        "layer",
        "레이어",
        "nn.Conv2d, nn.BatchNorm2d, nn.ReLU",
        N_("One step of a network: a conv, a norm or an activation function."),
    ),
    Term(
        "shape",
        "모양",
        "x.shape",
        N_("A tensor's size along each dimension, written B x C x H x W here."),
    ),
    Term(
        "forward pass",
        "순전파",
        "forward(self, x)",
        N_("Running an input through the network's layers in the order forward() gives."),
    ),
    Term(
        "bias",
        "편향",
        "bias=False",
        N_("The constant a layer adds after its weights; a conv before BatchNorm needs none (bias=False)."),
    ),
    Term(
        "running statistics",
        "이동 통계",
        "running_mean, running_var",
        N_("Averages of the batch mean and variance that BatchNorm keeps in training and uses in eval mode."),
    ),
    Term(
        "training mode",
        "학습 모드",
        "model.train()",
        N_("Dropout on, BatchNorm with the batch's statistics; a model is built in this mode."),
    ),
    Term(
        "evaluation mode",
        "평가 모드",
        "model.eval()",
        N_("Dropout off, BatchNorm with its running statistics."),
    ),
    Term(
        "validation data",
        "검증 데이터",
        "val_paths",
        N_("Images kept out of training to check the model on (5,000 of the notebook's 20,000)."),
    ),
    Term(
        "run",
        "실행",
        "runs/",
        N_(
            "One training of the app or the CLI: its settings, losses, samples and checkpoints in one folder."
        ),
    ),
)
