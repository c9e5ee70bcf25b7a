"""The study notebook's code, verbatim (its comments are the student's Korean notes).

Pages show these next to the picture they explain. ``DISCRIMINATOR_AS_WRITTEN`` keeps the
notebook's typo (second conv ``Conv2d(3, 64)``); ``DISCRIMINATOR`` is the same with it fixed.
"""

SPLIT = """\
from fastai.data.external import untar_data, URLs
import glob

coco_path = untar_data(URLs.COCO_SAMPLE)
paths = glob.glob(str(coco_path) + "/train_sample/*.jpg")
#fastai 라이브러리에서 학습데이터 받아서 해당 경로를 리스트로 변환 후 저장

import numpy as np
import time

np.random.seed(seed = int(time.time())) #시간으로 시드 입력
chosen_paths = np.random.choice(paths, 20000, replace=False)
index = np.random.permutation(20000) #이미지 인덱스 랜덤으로 섞기
#이미지를 선택해서 불러옴

train_path = chosen_paths[index[:15000]] #0~15000 장을 훈련 데이터로 사용
val_paths = chosen_paths[index[15000:]] #15001~마지막 까지는 검증데이터로 사용
"""

DATASET = """\
class ColorizationDataset(Dataset) : #논문의 이미지 전처리 클래스
    def __init__(self, paths, mode='train'):
        self.mode = mode
        self.paths = paths

        if mode == 'train': #256x256리사이즈, 이미지 인터폴레이션 BICUBIC, 어그멘테이션 수행
            self.transforms = transforms.Compose([
                transforms.Resize((256, 256), Image.BICUBIC),
                transforms.RandomHorizontalFlip()
            ])
        elif mode == 'val': #256x256리사이즈, 이미지 인터폴레이션 BICUBIC
            self.transforms = transforms.Resize((256,256), Image.BICUBIC)
        else:
            raise Exception("모드입력 에러")


    def __getitem__(self, index): #이미지 불러오고 RGB -> Lab수행, 텐서형식 변환
        img = Image.open(self.paths[index]).convert("RGB")
        img = np.array(self.transforms(img))
        img = rgb2lab(img).astype("float32")
        img = transforms.ToTensor()(img)

        #노멀라이제이션 수행
        L = img[[0], ...]
        ab = img[[1,2], ...]
        L = L / 50. -1
        ab = ab / 110.

        return {'L':L, 'ab':ab}
        
    
    def __len__(self):
        return len(self.paths)
"""

DATALOADER = """\
dataloader_train = DataLoader(dataset_train, batch_size = 16, num_workers=0, pin_memory=True)
dataloader_val = DataLoader(dataset_val, batch_size = 16, num_workers=0, pin_memory=True)

#Dataloader에 입력한 훈련,검증데이터의 구조를 출력해보자
data = next(iter(dataloader_train))
Ls, abs = data['L'], data['ab']
print(Ls.shape, abs.shape)
#출력 결과는 [batch_size, Channel개수, tr리사이즈 크기(256,256)]이 나올것이다.
"""

GENERATOR = """\
#이제 Pix2Pix_Generator과 Pix2Pix_Discriminator설계를 수행한다.
import torch.nn as nn

#U-Net 구조의 Pix2Pix_Generator
class Pix2Pix_Generator(nn.Module):
    def __init__(self):
        super(Pix2Pix_Generator, self).__init__()
        #팁으로 다른 코드들 찾아보면 generator을 G_net라 기재하는 경우가 많다.
        
        #신경망 레이어는 되도록이면 nn.Sequential 컨테이너를 써서 설계하자(이래야 가독성이 좋다)
        self.input_layer = nn.Sequential(
            nn.Conv2d(1, 64, kernel_size=4, stride=2, padding=1, bias=False),
            #in_channels은 논문 읽으면 나온다 -> L채널 받아서 ab출력
            #사용한 U-Net 논문주소 : https://arxiv.org/pdf/1505.04597.pdf
            #참고로 매개변수 중 bias는 그다지 영향을 주지는 않는다...
            #논문의 appendix는 U-Net의 encoder, decoder에 대한 레이어 참고정보가 수록되어 있다.
            #Encoder : C64-C128-C256-C512-C512-C512-C512-C512
            #Decoder : CD512-CD512-CD512-C512-C256-C128-C64
        )

        self.encoder_1 = nn.Sequential(
            nn.LeakyReLU(0.2, True),
            nn.Conv2d(64, 128, kernel_size=4, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(128)
        )

        self.encoder_2 = nn.Sequential(
            nn.LeakyReLU(0.2, True),
            nn.Conv2d(128, 256, kernel_size=4, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(256)
        )

        self.encoder_3 = nn.Sequential(
            nn.LeakyReLU(0.2, True),
            nn.Conv2d(256, 512, kernel_size=4, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(512)
        )

        self.encoder_4 = nn.Sequential(
            nn.LeakyReLU(0.2, True),
            nn.Conv2d(512, 512, kernel_size=4, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(512)
        )

        self.encoder_5 = nn.Sequential(
            nn.LeakyReLU(0.2, True),
            nn.Conv2d(512, 512, kernel_size=4, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(512)
        )

        self.encoder_6 = nn.Sequential(
            nn.LeakyReLU(0.2, True),
            nn.Conv2d(512, 512, kernel_size=4, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(512)
        )

        self.middle = nn.Sequential(
            nn.LeakyReLU(0.2, True),
            nn.Conv2d(512, 512, kernel_size=4, stride=2, padding=1, bias=False),
            nn.ReLU(True),
            # inplace=True로 설정할 경우, 입력을 따로 저장하지 않고 바로 operation을
            # 진행하기 때문에 메모리를 소량 절약할 수 있다. 대신 원본 입력이 destroy되는
            # 점을 주의해서 사용해야 한다. -> 이래서 기본설정은 False
            nn.ConvTranspose2d(512, 512, kernel_size=4, stride=2, padding=1, bias=False),
            # Conv2d 연산으로 채널은 늘었으나 이미지 크기가 작아졌으니
            # 이를 늘리는 작업을 해야 하는데(U-net 구조니까)
            # 이방법은 nn.conv2d와 이미지를 비교해보면 아주 쉽게 이해될것이다.
            nn.BatchNorm2d(512)
        )
        self.decoder_6 = nn.Sequential(
            nn.ReLU(True),
            nn.ConvTranspose2d(1024, 512, kernel_size = 4, stride = 2, padding = 1, bias = False),
            # U-net아기텍쳐에 존재하는 skip connection으로 in_channel이 2배로 된다.
            nn.BatchNorm2d(512),
            nn.Dropout(0.5) #probability of an element to be zeroed. Default: 0.5
            # dropout은 신경망의 일반화 성능을 높이기 위해 자주 쓰이는 테크닉 중 하나이다.
            # 신경망 구조 학습시, 레이어간 연결 중 일부를 랜덤하게 삭제하면,
            # 여러개의 네트워크를 앙상블 하는 효과를 낼 수 있고,
            # 이로 인해 일반화 성능이 높아진다고 한다.
            # 말이 어려운데 전체 구성된 신경망의 연결을 랜덤으로 끊는것을 의미함
            # 이것을 수행하면 오버피팅을 좀 방지할 수 있다
        )

        self.decoder_5 = nn.Sequential(
            nn.ReLU(True),
            nn.ConvTranspose2d(1024, 512, kernel_size = 4, stride = 2, padding = 1, bias = False),
            # decoder의 skip connection으로 인한 in_channel인자값 결정은
            # 같은 층위 encoder레이어의 최종 출력 channel + 이전 decoder 레이어 출력 channel.
            # 쉽게 말해 decoder_5(in_channel) 값은
            # encoder_5(batchnorm2d(num_feature)) + decoder_6(batchnorm2d(num_feature))이다.
            nn.BatchNorm2d(512),
            nn.Dropout(0.5)
        )
        self.decoder_4 = nn.Sequential(
            nn.ReLU(True),
            nn.ConvTranspose2d(1024, 512, kernel_size = 4, stride = 2, padding = 1, bias = False),
            nn.BatchNorm2d(512),
            nn.Dropout(0.5)
        )

        self.decoder_3 = nn.Sequential(
            nn.ReLU(True),
            nn.ConvTranspose2d(1024, 256, kernel_size = 4, stride = 2, padding = 1, bias = False),
            nn.BatchNorm2d(256),
            nn.Dropout(0.5)
        )

        self.decoder_2 = nn.Sequential(
            nn.ReLU(True),
            nn.ConvTranspose2d(512, 128, kernel_size = 4, stride = 2, padding = 1, bias = False),
            nn.BatchNorm2d(128),
            nn.Dropout(0.5)
        )

        self.decoder_1 = nn.Sequential(
            nn.ReLU(True),
            nn.ConvTranspose2d(256, 64, kernel_size = 4, stride = 2, padding = 1, bias = False),
            nn.BatchNorm2d(64),
            nn.Dropout(0.5)
        )

        # 입력 레이어 : L채널 -> 출력 레이어 : ab채널
        self.output_layer = nn.Sequential(
            nn.ReLU(True),
            nn.ConvTranspose2d(64, 2, kernel_size=4, stride=2, padding=1),
            nn.Tanh() # Hyperbolic Tangent
            # Tanh 함수는 함수값을 [-1, 1]로 제한시킴 -> 논문에서 함
        )

    def forward(self, x):
        input_layer = self.input_layer(x)
        encoder_1 = self.encoder_1(input_layer)
        encoder_2 = self.encoder_2(encoder_1)
        encoder_3 = self.encoder_3(encoder_2)
        encoder_4 = self.encoder_4(encoder_3)
        encoder_5 = self.encoder_5(encoder_4)
        encoder_6 = self.encoder_6(encoder_5)

        middle = self.middle(encoder_6)

        #skip connection 화살표 두개 합치는거니까 torch.cat 함수 사용함
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

        output = self.output_layer(decoder_1)
        
        return output
"""

DISCRIMINATOR_AS_WRITTEN = """\
# Pix2Pix_Discriminator의 구조는 C64-C128-C256-C512
# 1-dimensional output -> 출력은 1채널 : 진짜인지 가짜인지만 판별하기에
# BatchNorm is not applied First C64 layer
# All leakyReLU(slope=0.2)

class Pix2Pix_Discriminator(nn.Module):
    def __init__(self):
        super(Pix2Pix_Discriminator, self).__init__()

        self.model = nn.Sequential(
            nn.Conv2d(3, 64, kernel_size=4, stride=2, padding=1, bias=False),
            #판별기(Discriminator)는 L, a, b 3개의 채널을 input으로 받는다.
            nn.LeakyReLU(0.2, True),

            nn.Conv2d(3, 64, kernel_size=4, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(128),
            nn.LeakyReLU(0.2, True),

            nn.Conv2d(128, 256, kernel_size=4, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(256),
            nn.LeakyReLU(0.2, True),

            nn.Conv2d(256, 512, kernel_size=4, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(512),
            nn.LeakyReLU(0.2, True),

            nn.Conv2d(512, 1, kernel_size=4, stride=2, padding=1, bias=False)
            # 원래 마지막에 sigmoid 붙여서 출력을 0~1 사이로 해야하지만
            # 파일토치의 Loss Func에 BCE 수행과정에 더 좋은 sigmoid가 붙어서
            # 여기에는 안붙인다(붙이면 sigmoid가 중복되는 비효율 발생)
            # 출력은 1채널 : 진짜인지 가짜인지만 판별하기에
        )

    def forward(self, x):
        return self.model(x)
        # 앞에 Generator은 nn.Senqutial로 레이어 1층씩 컨테이너에 담았지만,
        # Discriminator은 모든 레이어 순서까지 다 1개의 컨테이너에 담아도 된다.
"""

INIT = """\
# Pix2Pix 초기화 -> 논문 6.2절을 보기
# Gaussian distribution 사용, 평균 0, 표준편차 0.02


def ini_weight(m): #m -> Layer을 줄여쓴 연구자들끼리의 약속
    if type(m) == nn.Conv2d:
        nn.init.normal_(m.weight.data, mean=0.0, std=0.02)
        print("Conv2D model init!")
    
    elif type(m) == nn.ConvTranspose2d:
        nn.init.normal_(m.weight.data, mean=0.0, std=0.02)
        print("ConvTranspose2D model init!")
    
    elif type(m) == nn.BatchNorm2d:
        nn.init.normal_(m.weight.data, mean=1.0, std=0.02)
        # batchnorm은 1 주변에서 정규화 하는 모델
        nn.init.constant_(m.bias.data, 0.)
        # 하여 바이어스가 1인 것을 특정 val(0.) 값으로 채우는
        # init.constant 초기화 함수를 같이 사용
        print("BatchNorm2D Initialized")

def model_init(model):
    model.apply(ini_weight)
    return model
"""

KAIMING_INIT = """\
def initialize_weights(m):
  if isinstance(m, nn.Conv2d):
      nn.init.kaiming_uniform_(m.weight.data,nonlinearity='relu')
      if m.bias is not None:
          nn.init.constant_(m.bias.data, 0)
  elif isinstance(m, nn.BatchNorm2d):
      nn.init.constant_(m.weight.data, 1)
      nn.init.constant_(m.bias.data, 0)
  elif isinstance(m, nn.Linear):
      nn.init.kaiming_uniform_(m.weight.data)
      nn.init.constant_(m.bias.data, 0)
      
model=CNN() #사전에 설계한 CNN 모델(클래스)
model.apply(initialize_weights)
"""

DISCRIMINATOR = DISCRIMINATOR_AS_WRITTEN.replace(
    "nn.Conv2d(3, 64, kernel_size=4, stride=2, padding=1, bias=False),\n            nn.BatchNorm2d(128)",
    "nn.Conv2d(64, 128, kernel_size=4, stride=2, padding=1, bias=False),\n            nn.BatchNorm2d(128)",
)
