using System;
using System.CommandLine;
using Dsl.Cli;
using ResNetSample;

// The commands shared with the dsl tool (src/Cli), over this sample's catalogue, and the sample's own make-data.
var dataKind = new Argument<string>("kind") { Description = "shapes (a segmentation folder of grey shapes, for unet-bilinear) or regression (a CSV table, for regression-mlp)" };
var dataOut = new Option<string>("--out") { Description = "Folder (shapes) or .csv file (regression) to write", Required = true };
var makeData = new Command("make-data", "Write a small synthetic data set: shapes (segmentation) or regression (CSV)") { dataKind, dataOut };
makeData.SetAction(parse =>
{
    string where = parse.GetValue(dataOut)!;
    switch (parse.GetValue(dataKind))
    {
        case "shapes": SyntheticData.Shapes(where); Console.WriteLine($"wrote {where}/train and {where}/val (images/ and masks/, 32x32 grey, 2 classes)"); break;
        case "regression": SyntheticData.Regression(where); Console.WriteLine($"wrote {where} (8 features x0..x7, target y)"); break;
        case var other: throw new ArgumentException($"Unknown data kind '{other}': make-data writes shapes or regression.");
    }
    return 0;
});

var root = DslCommandLine.Create(ModelCatalog.Catalog,
    "Networks of the D2L ResNet chapter, declared with Dsl attributes: train, evaluate, export, summary, draw", "ResNet", makeData);
return DslCommandLine.Run(root, args);
