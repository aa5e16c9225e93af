using NeuralNet.Layers;
using Xunit;

namespace NeuralNet.Tests.Layers.Augmentation;

// A layer called twice in a model (and each concurrent prediction) runs one instance per call, copied from the built
// layer: the colour layers' draws and buffers must belong to the instance, or the second call's forward overwrites what
// the first call's backward reads.
public class SharedColorLayerTests
{
    public static TheoryData<string> Layers => [.. Factories.Keys];

    private static Dictionary<string, Func<Layer>> Factories => new()
    {
        ["RandomSaturation"] = () => new RandomSaturation(0.8, (0, 1), seed: 3),
        ["RandomHue"] = () => new RandomHue(0.4, (0, 1), seed: 3),
        ["RandomColorDegeneration"] = () => new RandomColorDegeneration(0.7, (0, 1), seed: 3),
        ["RandomSharpness"] = () => new RandomSharpness(0.7, (0, 1), seed: 3),
        ["RandomGrayscale"] = () => new RandomGrayscale(0.5, seed: 3),
        ["RandomInvert"] = () => new RandomInvert(0.5, (0, 1), seed: 3),
        ["Solarization"] = () => new Solarization((0.1, 0.3), (0.2, 0.6), (0, 1), seed: 3),
        ["RandomPosterization"] = () => new RandomPosterization(3, (0, 1), seed: 3),
        ["AutoContrast"] = () => new AutoContrast((0, 1)),
        ["Equalization"] = () => new Equalization((0, 1), 16),
        ["RandomShear"] = () => new RandomShear((-0.4, 0.4), (0.1, 0.3), seed: 3),
        ["RandomPerspective"] = () => new RandomPerspective((1, 1), 0.5, seed: 3),
        ["RandomElasticTransform"] = () => new RandomElasticTransform((1, 1), (0.5, 2), valueRange: (0, 1), seed: 3),
        ["RandAugment"] = () => new RandAugment((0, 1), 3, 0.6, seed: 3),
        ["AugMix"] = () => new AugMix((0, 1), 3, 3, 0.6, seed: 3),
    };

    [Theory]
    [MemberData(nameof(Layers))]
    public void Each_call_of_a_shared_layer_keeps_its_own_draws_and_buffers(string name)
    {
        Tensor x = Tensor.RandomUniform(new TensorShape(4, 5, 6, 3), 1, 0.1f, 0.9f), other = Tensor.RandomUniform(new TensorShape(4, 5, 6, 3), 2, 0f, 1f);
        Tensor g = Tensor.RandomUniform(new TensorShape(4, 5, 6, 3), 4, -1f, 1f);
        Layer layer = Factories[name]();
        layer.Build(new TensorShape(5, 6, 3));
        Layer second = layer.CopyForCall(1);
        float[] y = layer.Forward(x, training: true).ToArray();
        second.Forward(other, training: true);

        Layer alone = Factories[name]();
        Assert.Equal(alone.Forward(x, training: true).ToArray(), y);
        Assert.Equal(alone.Backward(g).ToArray(), layer.Backward(g).ToArray());
    }
}
