// Recreates samples/ResNet/data/fashion-mnist-subset from a full Fashion-MNIST copy (canonical IDX .gz files).
// Picks, in file order, the first 600 images of each class from the training set (6,000 images) and the first
// 100 of each class from the test set (1,000 images), and writes them in the same format and file names.
//
//   dotnet run scripts/make-fashion-subset.cs -- [source-folder] [target-folder]
//   defaults: ../shared/data/fashion-mnist  samples/ResNet/data/fashion-mnist-subset
//
// The selection is deterministic; the .gz bytes are too, for a given .NET (zlib) version.
using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;

string source = args.Length > 0 ? args[0] : Path.Combine("..", "shared", "data", "fashion-mnist");
string target = args.Length > 1 ? args[1] : Path.Combine("samples", "ResNet", "data", "fashion-mnist-subset");
Directory.CreateDirectory(target);
Subset("train", 600);
Subset("t10k", 100);
return 0;

void Subset(string split, int perClass)
{
    byte[] images = Read(Path.Combine(source, $"{split}-images-idx3-ubyte.gz"), 0x803);
    byte[] labels = Read(Path.Combine(source, $"{split}-labels-idx1-ubyte.gz"), 0x801);
    int count = BinaryPrimitives.ReadInt32BigEndian(images.AsSpan(4));
    int rows = BinaryPrimitives.ReadInt32BigEndian(images.AsSpan(8));
    int cols = BinaryPrimitives.ReadInt32BigEndian(images.AsSpan(12));
    if (BinaryPrimitives.ReadInt32BigEndian(labels.AsSpan(4)) != count) throw new InvalidDataException($"{split}: image and label counts differ");
    int size = rows * cols;
    var taken = new int[10];
    var pickedImages = new List<byte>();
    var pickedLabels = new List<byte>();
    for (int i = 0; i < count; i++)
    {
        byte label = labels[8 + i];
        if (label > 9) throw new InvalidDataException($"{split}: label {label} at {i}");
        if (taken[label] >= perClass) continue;
        taken[label]++;
        pickedLabels.Add(label);
        pickedImages.AddRange(images.AsSpan(16 + i * size, size).ToArray());
    }
    foreach (int t in taken)
        if (t != perClass) throw new InvalidDataException($"{split}: a class has only {t} images, {perClass} needed");
    int n = pickedLabels.Count;
    var imgHeader = new byte[16];
    BinaryPrimitives.WriteInt32BigEndian(imgHeader.AsSpan(0), 0x803);
    BinaryPrimitives.WriteInt32BigEndian(imgHeader.AsSpan(4), n);
    BinaryPrimitives.WriteInt32BigEndian(imgHeader.AsSpan(8), rows);
    BinaryPrimitives.WriteInt32BigEndian(imgHeader.AsSpan(12), cols);
    var lblHeader = new byte[8];
    BinaryPrimitives.WriteInt32BigEndian(lblHeader.AsSpan(0), 0x801);
    BinaryPrimitives.WriteInt32BigEndian(lblHeader.AsSpan(4), n);
    Write(Path.Combine(target, $"{split}-images-idx3-ubyte.gz"), imgHeader, pickedImages.ToArray());
    Write(Path.Combine(target, $"{split}-labels-idx1-ubyte.gz"), lblHeader, pickedLabels.ToArray());
    Console.WriteLine($"{split}: {n} images ({perClass} per class) -> {target}");
}

static byte[] Read(string path, int magic)
{
    using var gz = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
    using var ms = new MemoryStream();
    gz.CopyTo(ms);
    byte[] bytes = ms.ToArray();
    if (BinaryPrimitives.ReadInt32BigEndian(bytes) != magic) throw new InvalidDataException($"{path}: wrong magic number");
    return bytes;
}

static void Write(string path, byte[] header, byte[] body)
{
    using var file = File.Create(path);
    using var gz = new GZipStream(file, CompressionLevel.SmallestSize);
    gz.Write(header);
    gz.Write(body);
}
