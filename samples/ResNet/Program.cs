using System;
using System.CommandLine;
using Dsl.Cli;
using ResNetSample;

// The commands shared with the dsl tool (src/Cli), over this sample's catalogue, and the sample's own make-data.
var dataKind = new Argument<string>("kind") { Description = "shapes (a segmentation folder of grey shapes, for unet-bilinear), regression (a CSV table, for regression-mlp) or licenses (a text corpus, for language models)" };
var dataOut = new Option<string>("--out") { Description = "Folder (shapes), .csv file (regression) or .txt file (licenses) to write", Required = true };
var makeData = new Command("make-data", "Write a small data set: shapes (segmentation), regression (CSV) or licenses (text)") { dataKind, dataOut };
makeData.SetAction(parse =>
{
    string where = parse.GetValue(dataOut)!;
    switch (parse.GetValue(dataKind))
    {
        case "shapes": SyntheticData.Shapes(where); Console.WriteLine($"wrote {where}/train and {where}/val (images/ and masks/, 32x32 grey, 2 classes)"); break;
        case "regression": SyntheticData.Regression(where); Console.WriteLine($"wrote {where} (8 features x0..x7, target y)"); break;
        case "licenses": var (files, characters) = SyntheticData.Licenses(where); Console.WriteLine($"wrote {where} ({files} license texts of /usr/share/common-licenses, {characters:N0} characters)"); break;
        case var other: throw new ArgumentException($"Unknown data kind '{other}': make-data writes shapes, regression or licenses.");
    }
    return 0;
});

var root = DslCommandLine.Create(ModelCatalog.Catalog,
    "Networks of the D2L ResNet chapter, declared with Dsl attributes: train, evaluate, export, summary, draw", "ResNet", makeData);
return DslCommandLine.Run(root, args);
