using NeuralNet.Layers;
using NeuralNet.Models;
using Xunit;

namespace NeuralNet.Keras.Tests;

/// <summary>
/// HDF5 soft links in a weights file h5py wrote as Keras does: one that leads back into itself is refused with an
/// exception naming the path, on any thread's stack, where PureHDF 2.2.0 alone recursed until the stack overflowed and
/// the process died (see <see cref="StackGuardCulture"/>); one that leads to a real group is followed. A loop PureHDF
/// follows from memory, without reading the file, is KerasH5FuzzTests' fixed case of a damaged SaveWeights file.
/// </summary>
public sealed class KerasH5LinkTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("neuralnet-h5links-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [H5pyFact]
    public void A_soft_link_to_a_real_group_is_followed()
    {
        string path = Path.Combine(_folder, "linked.weights.h5");
        H5py.Write(path, ["elsewhere/dense"], [("elsewhere/dense/vars/0", [2, 2], "float32", [1, 2, 3, 4]), ("elsewhere/dense/vars/1", [2], "float32", [5, 6])],
            softLinks: [("layers", "/elsewhere")]);
        Sequential model = DenseModel();

        KerasFormat.LoadWeights(model, path);

        Assert.Equal([1f, 2f, 3f, 4f, 5f, 6f], model.Layers[^1].Parameters.SelectMany(p => p.Value.AsReadOnlySpan().ToArray()));
    }

    [H5pyTheory]
    [InlineData("layers", "/layers", 0, "too deep")]                                 // the group Keras reads first, a link to itself
    [InlineData("layers", "/layers", 256 * 1024, "too deep")]                        // the same on a small stack
    [InlineData("layers/dense", "/layers/dense/vars", 0, "'dense' is not a group")]  // into itself one level down: the innermost step gives up
    [InlineData("layers/dense", "dense", 0, "too deep")]                             // relative, in a group PureHDF has cached: no read at any step
    [InlineData("layers/dense", "dense", 256 * 1024, "too deep")]
    public void A_soft_link_that_leads_back_into_itself_is_refused_and_leaves_the_model_unchanged(string link, string target, int stackBytes, string reason)
    {
        string path = Path.Combine(_folder, "cycle.weights.h5");
        H5py.Write(path, ["other"], [("other/x", [1], "float32", [0])], softLinks: [(link, target)]);
        Sequential model = DenseModel();
        float[] before = Weights(model);

        Exception? error = null;
        var thread = new Thread(
            () => error = Record.Exception(() => KerasFormat.LoadWeights(model, path)),
            stackBytes);
        thread.Start();
        thread.Join();

        var refused = Assert.IsType<InvalidDataException>(error);
        Assert.True(refused.Message.Contains("cannot be followed", StringComparison.Ordinal) && refused.Message.Contains(reason, StringComparison.Ordinal)
            && refused.Message.Contains($"'/{link}", StringComparison.Ordinal), refused.Message);
        Assert.Equal(before, Weights(model));
    }

    [H5pyFact]
    public void Two_soft_links_that_lead_to_each_other_are_refused()
    {
        string path = Path.Combine(_folder, "loop.weights.h5");
        H5py.Write(path, ["other"], [("other/x", [1], "float32", [0])], softLinks: [("layers", "/loop"), ("loop", "/layers")]);
        Sequential model = DenseModel();

        var error = Assert.Throws<InvalidDataException>(() => KerasFormat.LoadWeights(model, path));

        Assert.Contains("'/layers' cannot be followed", error.Message, StringComparison.Ordinal);
    }

    private static Sequential DenseModel() => new([new Input(2).Layer, new Dense(2)], seed: 1);

    private static float[] Weights(Model model) => [.. model.Parameters.SelectMany(p => p.Value.AsReadOnlySpan().ToArray())];
}
