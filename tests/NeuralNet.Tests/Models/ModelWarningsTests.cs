using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using Xunit;
using AttentionLayer = NeuralNet.Layers.Attention;

namespace NeuralNet.Tests.Models;

/// <summary>
/// <see cref="Model.Warnings"/>: Keras 3 warns when a layer that does not support masking is passed an input with a mask
/// (keras/src/layers/layer.py, <c>__call__</c>: <c>not self.supports_masking</c> and a mask on the call's input), because
/// the layers after it see none. Here the warning is data on the model, found when the graph is built or by the pass
/// that meets the mask, listed by Summary and written once by Fit and Evaluate.
/// </summary>
public class ModelWarningsTests
{
    private const string KerasText = "was passed an input with a mask attached to it. However, this layer does not support masking and will therefore destroy the mask information. Downstream layers will not see the mask.";

    // Ids with padding (0) at the end of the first two rows, as a masked text batch has.
    private static Tensor Ids() => Tensor.FromArray([3, 1, 4, 0, 0, 0, /**/ 2, 7, 1, 8, 0, 0, /**/ 5, 9, 2, 6, 5, 3], 3, 6);

    // The layer after Embedding(mask_zero=True), and whether Keras 3 warns for it (its supports_masking is False).
    public static TheoryData<string, bool> AfterMaskedEmbedding => new()
    {
        { "Dense", false },
        { "Dropout", false },
        { "Lstm", false },
        { "Lstm (sequences)", false },
        { "Gru", false },
        { "Bidirectional", false },
        { "GlobalAveragePooling1D", false },
        { "LayerNormalization", false },
        { "Activation", false },
        { "TimeDistributed", false },
        { "Conv1D", true },
        { "Flatten", true },
        { "GlobalMaxPooling1D", true },
        { "MaxPooling1D", true },
        { "Reshape", true },
        { "Scale (a user's layer)", true },
    };

    private static Layer Make(string name) => name switch
    {
        "Dense" => new Dense(3),
        "Dropout" => new Dropout(0.2, seed: 1),
        "Lstm" => new Lstm(3),
        "Lstm (sequences)" => new Lstm(3, returnSequences: true),
        "Gru" => new Gru(3),
        "Bidirectional" => new Bidirectional(new Lstm(2)),
        "GlobalAveragePooling1D" => new GlobalAveragePooling1D(),
        "LayerNormalization" => new LayerNormalization(),
        "Activation" => new Activation(ActivationFunction.Relu),
        "TimeDistributed" => new TimeDistributed(new Dense(3)),
        "Conv1D" => new Conv1D(3, 2),
        "Flatten" => new Flatten(),
        "GlobalMaxPooling1D" => new GlobalMaxPooling1D(),
        "MaxPooling1D" => new MaxPooling1D(2),
        "Reshape" => new Reshape(24),
        _ => new Scale(),
    };

    [Theory]
    [MemberData(nameof(AfterMaskedEmbedding))]
    public void Warnings_LayerAfterAMaskedEmbedding_WarnExactlyWhenKerasWarns(string layer, bool warns)
    {
        Layer tested = Make(layer);
        var model = new Sequential([new InputLayer(6), new Embedding(10, 4, maskZero: true), tested], seed: 1);

        IReadOnlyList<ModelWarning> found = model.Warnings;

        if (warns)
        {
            ModelWarning warning = Assert.Single(found);
            Assert.Equal(ModelWarningKind.MaskDropped, warning.Kind);
            Assert.Equal(tested.Name, warning.LayerName);
            Assert.Equal(tested.TypeName, warning.LayerType);
            Assert.Equal($"Layer '{tested.Name}' (of type {tested.TypeName}) {KerasText}", warning.Message);
            Assert.Equal(warning.Message, warning.ToString());
        }
        else
        {
            Assert.Empty(found);
        }

        // A pass finds the same: the settings' verdict is the pass's.
        model.Forward(Ids(), training: true);
        Assert.Equal(found.Select(w => w.Message), model.Warnings.Select(w => w.Message));
    }

    [Theory]
    [MemberData(nameof(AfterMaskedEmbedding))]
    public void Warnings_WithoutAMask_AreEmpty(string layer, bool warns)
    {
        _ = warns;
        var model = new Sequential([new InputLayer(6), new Embedding(10, 4), Make(layer)], seed: 1);
        model.Forward(Ids(), training: true);

        Assert.Empty(model.Warnings);
    }

    [Fact]
    public void Warnings_FunctionalWithAttentionMergeAndMasking_NameOnlyTheLayersThatDestroyTheMask()
    {
        var ids = new Input(new TensorShape(6), name: "ids");
        var features = new Input(new TensorShape(6, 4), name: "features");
        SymbolicTensor e = new Embedding(10, 4, maskZero: true, name: "embedding").Call(ids);
        SymbolicTensor attended = new AttentionLayer(name: "attention").Call(e, e);
        SymbolicTensor masked = new Masking(name: "masking").Call(features);
        SymbolicTensor sum = new Add(name: "add").Call(attended, masked);
        SymbolicTensor convolved = new Conv1D(4, 3, padding: Padding.Same, name: "conv").Call(sum);
        SymbolicTensor pooled = new GlobalAveragePooling1D(name: "mean").Call(new Lstm(4, returnSequences: true, name: "lstm").Call(masked));
        SymbolicTensor flat = new Flatten(name: "flat").Call(convolved);
        SymbolicTensor output = new Dense(1, name: "out").Call(new Concatenate(name: "join").Call(flat, pooled));
        var model = new Functional([ids, features], output, name: "m", seed: 2);

        // Attention passes its query's mask on, known only when it runs: the settings alone say nothing about conv yet.
        Assert.Empty(model.Warnings);

        model.Forward(new Tensor[] { Ids(), Tensor.RandomNormal(new TensorShape(3, 6, 4), 3) }, training: false);

        ModelWarning warning = Assert.Single(model.Warnings);
        Assert.Equal(("conv", "Conv1D"), (warning.LayerName, warning.LayerType));
    }

    [Theory]
    [InlineData(true, false, true)]
    [InlineData(false, true, true)]
    [InlineData(false, false, false)]
    public void Warnings_UsersLayerOfTwoInputs_NamedWhenEitherInputIsMasked(bool firstMasked, bool secondMasked, bool warns)
    {
        // Keras calls a layer of several inputs on their list, layer([a, b]): its first argument is the list, and __call__
        // looks at the mask of every tensor in it (tree.map_structure(get_keras_mask, call_spec.first_arg), then any).
        var ids = new Input(new TensorShape(6), name: "ids");
        SymbolicTensor Embedded(bool masked, string name) => new Embedding(10, 4, maskZero: masked, name: name).Call(ids);
        SymbolicTensor picked = new PickFirst(name: "pick").Call(Embedded(firstMasked, "first"), Embedded(secondMasked, "second"));
        var model = new Functional(ids, new Dense(1, name: "out").Call(new GlobalAveragePooling1D(name: "mean").Call(picked)), seed: 4);

        Assert.Equal(warns ? ["pick"] : [], model.Warnings.Select(w => w.LayerName));
        model.Forward(Ids(), training: false);
        Assert.Equal(warns ? ["pick"] : [], model.Warnings.Select(w => w.LayerName));
    }

    // A user's layer of two inputs that gives its first input back (supports no masking).
    private sealed class PickFirst(string? name) : MultiInputLayer(name)
    {
        public override string DefaultNamePrefix => "pick_first";

        protected override int MinimumInputCount => 2;

        protected override int MaximumInputCount => 2;

        protected override TensorShape OnBuild(ReadOnlySpan<TensorShape> inputShapes) => inputShapes[0];

        protected override Tensor OnForward(ReadOnlySpan<Tensor> inputs, bool training) => inputs[0];

        protected override void OnBackward(Tensor outputGradient, Span<Tensor?> inputGradients) => inputGradients[0] = outputGradient;
    }

    [Fact]
    public void Warnings_GatherAndSegmentOperationsOnAMaskedInput_AreNotNamed()
    {
        // Keras' ops.take / ops.segment_sum take no masks and warn of none; the mask stops there silently.
        var ids = new Input(new TensorShape(6), name: "ids");
        var picks = new Input(new TensorShape(3), name: "picks");
        var segments = new Input(new TensorShape(6), name: "segments");
        SymbolicTensor e = new Embedding(10, 4, maskZero: true, name: "embedding").Call(ids);
        SymbolicTensor taken = new Take(1, name: "take").Call(e, picks);
        SymbolicTensor summed = new SegmentSum(2, name: "segment_sum").Call(e, segments);
        SymbolicTensor output = new Concatenate(axis: 1, name: "join").Call(taken, summed);
        var model = new Functional([ids, picks, segments], output, name: "m", seed: 2);

        Assert.Empty(model.Warnings);
        model.Predict([Tensor.FromArray([1f, 2, 0, 0, 3, 4], 1, 6), Tensor.FromArray([0f, 1, 5], 1, 3), Tensor.FromArray([0f, 0, 1, 1, 1, 0], 1, 6)]);
        Assert.Empty(model.Warnings);
    }

    [Fact]
    public void Warnings_AfterMaskingInAFunctionalModel_FoundWhenTheModelIsCreated()
    {
        var x = new Input(new TensorShape(5, 3), name: "x");
        SymbolicTensor masked = new Masking(name: "masking").Call(x);
        SymbolicTensor a = new Conv1D(2, 2, name: "conv_a").Call(masked);
        SymbolicTensor b = new Lstm(2, returnSequences: true, name: "lstm").Call(masked);
        SymbolicTensor c = new MaxPooling1D(5, name: "pool").Call(b);
        var model = new Functional(x, [new Flatten(name: "flat_a").Call(a), c], name: "m");

        // conv_a and pool destroy masks; flat_a gets none (conv_a dropped it), and the LSTM passes its mask to pool.
        Assert.Equal(["conv_a", "pool"], model.Warnings.Select(w => w.LayerName));
    }

    [Fact]
    public void Warnings_SharedLayerOrRepeatedPasses_NameTheLayerOnce()
    {
        var ids = new Input(new TensorShape(6), name: "ids");
        var conv = new Conv1D(2, 2, name: "conv");
        var embedding = new Embedding(10, 4, maskZero: true, name: "embedding");
        SymbolicTensor a = conv.Call(embedding.Call(ids));
        SymbolicTensor b = conv.Call(new Dropout(0.1, name: "drop").Call(embedding.Call(ids)));
        var model = new Functional(ids, new Add(name: "add").Call(a, b), name: "m");

        model.Forward(Ids(), training: false);
        model.Forward(Ids(), training: true);

        Assert.Equal(["conv"], model.Warnings.Select(w => w.LayerName));
    }

    [Fact]
    public void Summary_ListsTheWarningsAfterTheTotals()
    {
        var model = new Sequential([new InputLayer(6), new Embedding(10, 4, maskZero: true), new Conv1D(3, 2), new Flatten(), new Dense(1)]);

        string summary = model.Summary();

        Assert.EndsWith($" Non-trainable params: 0 (0.00 B)\n Warning: Layer 'conv1d' (of type Conv1D) {KerasText}\n", summary, StringComparison.Ordinal);
        // Flatten gets no mask: conv1d destroyed it.
        Assert.DoesNotContain("'flatten'", summary, StringComparison.Ordinal);
    }

    [Fact]
    public void FitAndEvaluate_Verbose_WriteEachWarningOnceOverTheModelsLife()
    {
        var model = new Sequential([new InputLayer(6), new Embedding(10, 4, maskZero: true), new Conv1D(3, 2), new Flatten(), new Dense(1)], seed: 3);
        model.Compile(new Sgd(), new MeanSquaredError());
        Tensor y = Tensor.RandomNormal(new TensorShape(3, 1), 4);
        string line = $"UserWarning: Layer 'conv1d' (of type Conv1D) {KerasText}\n";

        var silent = new StringWriter();
        model.Fit(Ids(), y, epochs: 1, verbose: 0, output: silent);
        Assert.Equal(string.Empty, silent.ToString());

        var first = new StringWriter();
        model.Fit(Ids(), y, epochs: 2, verbose: 2, output: first);
        string written = first.ToString();
        Assert.StartsWith(line + "Epoch 1/2\n", written, StringComparison.Ordinal);
        Assert.Equal(1, Occurrences(written, "UserWarning"));

        var later = new StringWriter();
        model.Fit(Ids(), y, epochs: 1, verbose: 1, output: later);
        model.Evaluate(Ids(), y, verbose: 1, output: later);
        Assert.DoesNotContain("UserWarning", later.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_Verbose_WritesAWarningThatThePassFound()
    {
        // Found by the pass (after an attention layer), so written after the evaluation's final line.
        var ids = new Input(new TensorShape(6), name: "ids");
        SymbolicTensor e = new Embedding(10, 4, maskZero: true).Call(ids);
        SymbolicTensor attended = new MultiHeadAttention(2, 2, name: "mha").Call(e, e);
        SymbolicTensor output = new Dense(1).Call(new Flatten(name: "flat").Call(attended));
        var model = new Functional(ids, output, name: "m", seed: 5);
        model.Compile(new Sgd(), new MeanSquaredError());
        Assert.Empty(model.Warnings);

        var writer = new StringWriter();
        model.Evaluate(Ids(), Tensor.RandomNormal(new TensorShape(3, 1), 4), verbose: 2, output: writer);

        string[] lines = writer.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("1/1 - ", lines[0], StringComparison.Ordinal);
        Assert.Equal($"UserWarning: Layer 'flat' (of type Flatten) {KerasText}", lines[1]);
    }

    [Fact]
    public void Warnings_UnbuiltSequential_AreEmptyAndANewGraphStartsAfresh()
    {
        var model = new Sequential([new Embedding(10, 4, maskZero: true), new Conv1D(3, 2)]);
        Assert.Empty(model.Warnings);

        model.Build(new TensorShape(6));
        Assert.Single(model.Warnings);

        model.Pop();
        model.Add(new Dense(2));
        model.Build(new TensorShape(6));
        Assert.Empty(model.Warnings);
    }

    [Fact]
    public void Forward_WithAMaskAfterTheFirstPass_AllocatesNothingForTheWarnings()
    {
        var model = new Sequential([new InputLayer(6), new Embedding(10, 4, maskZero: true), new Conv1D(3, 2), new Flatten(), new Dense(1)], seed: 3);
        ModelData ids = Ids();
        model.Forward(ids, training: true);

        AllocationCheck.AssertNone(() =>
        {
            for (int i = 0; i < 3; i++)
            {
                model.Forward(ids, training: true);
            }
        });
    }

    private static int Occurrences(string text, string part)
    {
        int count = 0;
        for (int i = text.IndexOf(part, StringComparison.Ordinal); i >= 0; i = text.IndexOf(part, i + 1, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }
}
