using NeuralNet.Layers;
using NeuralNet.Models;
using Xunit;

namespace NeuralNet.Keras.Tests;

/// <summary>DepthToSpace and SpaceToDepth have no Keras layer (Keras code calls tf.nn in a Lambda): SaveModel refuses them by name.</summary>
public sealed partial class KerasFormatTests
{
    [Fact]
    public void SaveModel_DepthToSpaceOrSpaceToDepth_IsRefusedNamingTheLayerAndNothingIsWritten()
    {
        var input = new Input(4, 4, 8, name: "features");
        var shuffled = new Functional(input, new DepthToSpace(2, name: "upscale").Call(input), name: "espcn_head");
        var image = new Input(4, 4, 1, name: "image");
        var packed = new Functional(image, new Conv2D(2, 1).Call(new SpaceToDepth(2, name: "pack").Call(image)), name: "packer");
        string path = Path.Combine(_folder, "depth-space.keras");

        var error = Assert.Throws<NotSupportedException>(() => KerasFormat.SaveModel(shuffled, path));
        var other = Assert.Throws<NotSupportedException>(() => KerasFormat.SaveModel(packed, path));

        Assert.StartsWith("Layer 'upscale' (DepthToSpace) has no Keras layer (Keras code calls tf.nn.depth_to_space in a Lambda", error.Message, StringComparison.Ordinal);
        Assert.StartsWith("Layer 'pack' (SpaceToDepth) has no Keras layer (Keras code calls tf.nn.space_to_depth", other.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(path));
    }
}
