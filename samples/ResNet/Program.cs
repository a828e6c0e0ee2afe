using System;
using ResNetSample;

Console.Write(D2LResNet18.Summary());
using var net = new D2LResNet18();
using var y = net.forward(TorchSharp.torch.randn(1, 1, 96, 96));
Console.WriteLine(string.Join(",", y.shape));
