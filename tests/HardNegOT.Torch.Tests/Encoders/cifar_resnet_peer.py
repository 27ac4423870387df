"""Independent PyTorch build of the CIFAR ResNet encoders, for the C# cross-check tests.

Usage: cifar_resnet_peer.py ARCH IN_CHANNELS [DIR]
  ARCH: resnet18 | resnet50. Prints JSON with the state-dict names/shapes and parameter counts of the backbone
  (torchvision names, 3x3 stride-1 conv1, no max-pool, no fc) and of the full encoder (backbone + projection head).
  With DIR: loads DIR/manifest.txt ("index name" lines) and DIR/t{index}.npy into the encoder, runs DIR/x.npy through
  it in train mode and then in eval mode, and writes features/projections as DIR/{train,eval}_{h,z}.npy.
"""
import json
import os
import sys

import numpy as np
import torch
from torch import nn


class Basic(nn.Module):
    expansion = 1

    def __init__(self, cin, width, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, width, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.downsample = shortcut(cin, width, stride)

    def forward(self, x):
        y = torch.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return torch.relu(y + (x if self.downsample is None else self.downsample(x)))


class Neck(nn.Module):
    expansion = 4

    def __init__(self, cin, width, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, 4 * width, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(4 * width)
        self.downsample = shortcut(cin, 4 * width, stride)

    def forward(self, x):
        y = torch.relu(self.bn1(self.conv1(x)))
        y = torch.relu(self.bn2(self.conv2(y)))
        y = self.bn3(self.conv3(y))
        return torch.relu(y + (x if self.downsample is None else self.downsample(x)))


def shortcut(cin, cout, stride):
    if stride == 1 and cin == cout:
        return None
    return nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))


class Backbone(nn.Module):
    def __init__(self, block, counts, cin):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, 64, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.channels = 64
        self.layer1 = self.stage(block, 64, counts[0], 1)
        self.layer2 = self.stage(block, 128, counts[1], 2)
        self.layer3 = self.stage(block, 256, counts[2], 2)
        self.layer4 = self.stage(block, 512, counts[3], 2)

    def stage(self, block, width, count, stride):
        blocks = []
        for i in range(count):
            blocks.append(block(self.channels, width, stride if i == 0 else 1))
            self.channels = width * block.expansion
        return nn.Sequential(*blocks)

    def forward(self, x):
        x = torch.relu(self.bn1(self.conv1(x)))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1)


class Head(nn.Module):
    def __init__(self, features):
        super().__init__()
        self.fc1 = nn.Linear(features, 512, bias=False)
        self.bn = nn.BatchNorm1d(512)
        self.fc2 = nn.Linear(512, 128)

    def forward(self, h):
        return self.fc2(torch.relu(self.bn(self.fc1(h))))


class Encoder(nn.Module):
    def __init__(self, arch, cin):
        super().__init__()
        if arch == "resnet18":
            self.backbone = Backbone(Basic, [2, 2, 2, 2], cin)
        elif arch == "resnet50":
            self.backbone = Backbone(Neck, [3, 4, 6, 3], cin)
        else:
            raise SystemExit(f"unknown arch {arch}")
        self.head = Head(self.backbone.channels)

    def forward(self, x):
        h = self.backbone(x)
        return h, self.head(h)


def count(module):
    return sum(p.numel() for p in module.parameters())


def main():
    arch, cin = sys.argv[1], int(sys.argv[2])
    torch.manual_seed(0)
    model = Encoder(arch, cin)
    report = {
        "backbone_parameters": count(model.backbone),
        "encoder_parameters": count(model),
        "feature_dimension": model.backbone.channels,
        "state": [[k, list(v.shape)] for k, v in model.state_dict().items()],
    }
    if len(sys.argv) > 3:
        folder = sys.argv[3]
        state = model.state_dict()
        with open(os.path.join(folder, "manifest.txt")) as f:
            for line in f:
                index, name = line.split()
                state[name].copy_(torch.from_numpy(np.load(os.path.join(folder, f"t{index}.npy"))))
        x = torch.from_numpy(np.load(os.path.join(folder, "x.npy")))
        with torch.no_grad():
            for mode in ("train", "eval"):
                model.train(mode == "train")
                h, z = model(x)
                np.save(os.path.join(folder, f"{mode}_h.npy"), h.numpy())
                np.save(os.path.join(folder, f"{mode}_z.npy"), z.numpy())
    print(json.dumps(report))


if __name__ == "__main__":
    main()
