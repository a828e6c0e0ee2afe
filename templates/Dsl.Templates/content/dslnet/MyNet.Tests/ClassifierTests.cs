using MyNet;
using TorchSharp;
using Xunit;

namespace MyNet.Tests;

public class ClassifierTests
{
    [Fact]
    public void Declared_shapes_are_known_at_compile_time()
    {
        Assert.Equal("[1, 28, 28]", Classifier.InputShape.ToString());
        Assert.Equal("[10]", Classifier.OutputShape.ToString());
        Assert.True(Classifier.ParameterCount > 0);
    }

    [Fact]
    public void Forward_maps_a_batch_of_images_to_ten_logits()
    {
        using var model = new Classifier();
        model.eval();
        using var x = torch.rand(4, 1, 28, 28);
        using var logits = model.forward(x);
        Assert.Equal(new long[] { 4, 10 }, logits.shape);
    }
}
