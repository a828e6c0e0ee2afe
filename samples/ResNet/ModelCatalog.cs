using System;
using System.Collections.Generic;
using System.Linq;
using Dsl;
using Dsl.Cli;
using static TorchSharp.torch;

namespace ResNetSample
{
    /// <summary>The networks the sample's commands accept, by name.</summary>
    public static class ModelCatalog
    {
        /// <summary>The model <c>train</c> uses without <c>--model</c>: trains on a 2-core CPU in minutes.</summary>
        public const string DefaultModel = "resnet-mini";

        public static IReadOnlyList<ModelEntry> All { get; } = new ModelEntry[]
        {
            new("resnet-mini", "small ResNet for 28x28 (the default)", () => new ResNetMini(), ResNetMini.Info),
            new("d2l-resnet18", "ResNet-18 of the D2L chapter, 96x96 input", () => new D2LResNet18(), D2LResNet18.Info),
            new("lenet", "LeNet-5 (D2L), 28x28", () => new LeNet(), LeNet.Info),
            new("activations", "The newer activations (ReLU6, SiLU, GELU, Hardswish, ...), 28x28", () => new ActivationNet(), ActivationNet.Info),
            new("alexnet", "torchvision AlexNet (features.N / classifier.N keys as torchvision), 3x224x224, 1000 classes", () => new TorchVisionAlexNet(), TorchVisionAlexNet.Info),
            new("blocks", "User-declared blocks: SE gate, residual with projection, dense concatenation, Inception branches, LayerNorm; 28x28", () => new BlockNet(), BlockNet.Info),
            new("d2l-alexnet", "AlexNet (D2L), 224x224", () => new AlexNet(), AlexNet.Info),
            new("d2l-vgg11", "VGG-11 (D2L), 224x224", () => new Vgg11(), Vgg11.Info),
            new("resnet18", "torchvision ResNet-18 (names and keys as torchvision), 3x224x224, 1000 classes", () => new ResNet18(), ResNet18.Info),
            new("resnet34", "torchvision ResNet-34, 3x224x224, 1000 classes", () => new ResNet34(), ResNet34.Info),
            new("resnet50", "torchvision ResNet-50 (bottleneck, stride on the 3x3), 3x224x224, 1000 classes", () => new ResNet50(), ResNet50.Info),
            new("resnext50_32x4d", "torchvision ResNeXt-50 32x4d, 3x224x224, 1000 classes", () => new ResNeXt50_32x4d(), ResNeXt50_32x4d.Info),
            new("d2l-resnext", "ResNet-18 layout built from the chapter's ResNeXt block, 96x96", () => new D2LResNeXt(), D2LResNeXt.Info),
            new("preact-resnet18", "pre-activation ResNet-18 (He et al. 2016), 3x32x32", () => new PreActResNet18(), PreActResNet18.Info),
            new("d2l-resnext-block", "the chapter's ResNeXtBlock(32, 16, 1) on 32x96x96", () => new ResNeXtBlock32(), ResNeXtBlock32.Info),
            new("d2l-residual", "one D2L Residual(3) block on 3x6x6", () => new ResidualBlock3(), ResidualBlock3.Info),
            new("d2l-residual-1x1", "one D2L Residual(6, use_1x1conv, strides=2) block on 3x6x6", () => new ResidualBlock6(), ResidualBlock6.Info),
            new("mobilenet_v2", "torchvision MobileNetV2 (inverted residuals as user blocks; keys as torchvision), 3x224x224, 1000 classes", () => new MobileNetV2(), MobileNetV2.Info),
            new("densenet121", "torchvision DenseNet-121 (dense layers concatenate; keys as torchvision), 3x224x224, 1000 classes", () => new DenseNet121(), DenseNet121.Info),
            new("inception_v3", "torchvision Inception-v3 (1x7 and 7x1 convolutions; auxiliary classifier AuxLogits, training only, loss weight 0.4; keys as torchvision), 3x299x299, 1000 classes", () => new InceptionV3(), InceptionV3.Info),
            new("googlenet", "torchvision GoogLeNet (ceil-mode pools; auxiliary classifiers aux1 and aux2, training only, loss weight 0.3 each; keys as torchvision), 3x64x64, 1000 classes", () => new GoogLeNet(), GoogLeNet.Info),
            new("unet", "U-Net (Ronneberger et al.): encoder-decoder with concatenated skips, 3x64x64, 2 classes per pixel", () => new UNet(), UNet.Info),
            new("fcn_resnet50", "torchvision FCN-ResNet50 (dilated backbone, FCN head, logits resized to the input; no auxiliary head), 3x64x64, 21 classes per pixel", () => new FcnResNet50(), FcnResNet50.Info),
            new("deeplabv3_resnet50", "torchvision DeepLabV3-ResNet50 (dilated backbone, ASPP with global pooling on layer4, auxiliary FCN head on layer3, both resized to the input), 3x64x64, 21 classes per pixel; outputs out, aux", () => new DeepLabV3ResNet50(), DeepLabV3ResNet50.Info),
            new("fcn-aux-mini", "small FCN with torchvision's auxiliary head: outputs out and aux (loss weight 0.5), both resized to the input, 1x32x32, 2 classes per pixel", () => new FcnAuxMini(), FcnAuxMini.Info),
            new("unet-bilinear", "small U-Net with bilinear upsampling (Upsample + 1x1 conv), 1x32x32, 2 classes per pixel", () => new BilinearUNet(), BilinearUNet.Info),
            new("convnext_tiny", "torchvision ConvNeXt-T (LayerNorm2d, layer scale, stochastic depth), 3x224x224, 1000 classes", () => new ConvNeXtTiny(), ConvNeXtTiny.Info),
            new("mobilenet_v3_large", "torchvision MobileNetV3-Large (hard swish, squeeze-and-excitation; keys as torchvision), 3x224x224, 1000 classes", () => new MobileNetV3Large(), MobileNetV3Large.Info),
            new("efficientnet_b0", "torchvision EfficientNet-B0 (MBConv stages, SiLU, stochastic depth; keys as torchvision), 3x224x224, 1000 classes", () => new EfficientNetB0(), EfficientNetB0.Info),
            new("vit_b_16", "torchvision ViT-B/16 (keys as torchvision), 3x224x224, 1000 classes", () => new VitB16(), VitB16.Info),
            new("mlp", "a multilayer perceptron on flat 784 features (a CSV or .npy of pixels)", () => new Mlp(), Mlp.Info),
            new("sequence-net", "1-d convolutions on 12x128 sequences, any length at run time", () => new SequenceNet(), SequenceNet.Info),
            new("row-sequence-net", "1-d convolutions over 28 steps of 28 features: MNIST read row by row (--transforms \"ImageToSequence()\")", () => new RowSequenceNet(), RowSequenceNet.Info),
            new("row-lstm", "an LSTM over 28 steps of 28 features: MNIST read row by row (--transforms \"ImageToSequence()\")", () => new RowLstm(), RowLstm.Info),
            new("gru-tagger", "two bidirectional GRU layers tagging each of 24 steps of 8 features with one of 5 classes", () => new GruTagger(), GruTagger.Info),
            new("bilstm-classifier", "LSTM layers (one bias-free, two bidirectional) classifying 20 steps of 6 features into 3 classes", () => new BiLstmClassifier(), BiLstmClassifier.Info),
            new("regression-mlp", "an MLP from 8 features to one value (make-data regression)", () => new RegressionMlp(), RegressionMlp.Info),
            new("token-mlp", "Linear layers over 16 tokens of 32 features", () => new TokenMlp(), TokenMlp.Info),
            new("gpt2", "GPT-2 small (nanoGPT's layout and keys, lm_head tied to wte), 1024 tokens of a 50,257 vocabulary, logits per position", () => new Gpt2(), Gpt2.Info),
            new("gpt-mini", "a small GPT (4 layers, 4 heads, 128 features) over 128 byte tokens: trains on a CPU in minutes", () => new GptMini(), GptMini.Info),
            new("lstm-lm", "an LSTM language model over 64 byte tokens (embedding 64, 2 layers of 256; PyTorch's word_language_model layout)", () => new LstmLanguageModel(), LstmLanguageModel.Info),
            new("text-classifier", "an LSTM + Conv1d classifier of up to 64 word ids (vocabulary 2,000, id 0 padding) into 4 classes", () => new TextClassifier(), TextClassifier.Info),
        };

        /// <summary>The catalogue the command line (src/Cli) offers.</summary>
        public static NetworkCatalog Catalog { get; } = new(All, DefaultModel, "this sample");

        /// <summary>The entry called <paramref name="name"/>; an error listing the known names otherwise.</summary>
        public static ModelEntry Find(string name) => Catalog.Find(name);
    }
}
