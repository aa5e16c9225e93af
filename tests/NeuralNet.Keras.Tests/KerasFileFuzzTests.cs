using System.Numerics.Tensors;
using System.Text.RegularExpressions;
using NeuralNet.Activations;
using NeuralNet.Keras.Tests.Fuzzing;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Regularizers;
using NeuralNet.Training;
using Xunit;
using Xunit.Abstractions;

namespace NeuralNet.Keras.Tests;

/// <summary>
/// Seeded fuzzing of <c>.keras</c> archives, as <c>ModelFileFuzzTests</c> fuzzes NeuralNet's own files: archives that
/// <see cref="KerasFormat.SaveModel"/> wrote for trained models (optimizer state included) are mutated in their
/// <c>config.json</c> (numbers, names, structure, escapes, entries repeated or dropped), in their
/// <c>metadata.json</c>, in the bytes of <c>model.weights.h5</c> and in the zip's own bytes, then loaded with
/// <see cref="KerasFormat.LoadModel(Stream, string)"/>. Only the documented <see cref="InvalidDataException"/> and
/// <see cref="NotSupportedException"/> may escape, naming the file; a model that loads must predict and, when it has an
/// optimizer, take a training step with the loaded state. The second test (NestedAndAssets)
/// does the same for archives with nested models, vocabulary assets and optimizer variables; KerasH5FuzzTests for HDF5
/// files. The mutations are in Fuzzing/; <see cref="FuzzOutcomes.CasesVariable"/> and
/// <see cref="FuzzOutcomes.SeedOffsetVariable"/> run other seeds by hand.
/// </summary>
/// <remarks>
/// The seeds are fixed and <see cref="KerasFormat.SaveModel"/> writes the same weights file for the same model, so the
/// damaged HDF5 files are the same in every run. (PureHDF 2.2.0 follows a soft link without a depth limit: a damaged
/// file whose link leads back into itself overflowed the stack and ended the process until StackGuardCulture; see
/// docs/keras.md.)
/// </remarks>
public sealed partial class KerasFileFuzzTests(ITestOutputHelper output)
{
    private const int Cases = 3000;
    private const int MutationKinds = 8;

    // What KerasJson and the archive reader say before any config is read.
    private static readonly string[] s_parseErrors = ["not valid JSON", "holds the key", "is no text", "not a .keras archive", "is not a JSON object"];

    [Fact]
    public void LoadModel_MutatedArchives_OnlyDocumentedExceptionsOccur()
    {
        (byte[] Archive, int[] InputShape)[] originals =
        [
            Archive(Mlp()), Archive(Graph()), Archive(ConvNet()), Archive(Sequence()), Archive(Operations()),
            Archive(MaskedStackedCells(), Ids),
        ];
        var outcomes = new FuzzOutcomes(s_parseErrors);
        var kinds = new int[MutationKinds];
        int cases = FuzzOutcomes.Cases(Cases);
        for (int i = 0; i < cases; i++)
        {
            var random = new Random(FuzzOutcomes.Seed(7919, i));
            (byte[] original, int[] inputShape) = originals[random.Next(originals.Length)];
            int kind = random.Next(MutationKinds);
            kinds[kind]++;
            byte[] mutated = Mutate(original, kind, random);
            LoadAndPredict(outcomes, $"Case {i} (mutation {kind})", mutated);
        }

        outcomes.AssertNone();
        output.WriteLine($"{cases} cases: {outcomes}; per mutation kind: {string.Join(", ", kinds)}");
        Assert.True(outcomes.Rejected > cases / 3, $"only {outcomes.Rejected} of {cases} mutations were rejected");
        Assert.True(outcomes.RejectedPastParsing > cases / 5, $"only {outcomes.RejectedPastParsing} of {outcomes.Rejected} rejections came after the JSON was parsed: the fuzzer hardly reaches the readers");
        Assert.True(outcomes.Accepted > cases / 50, $"only {outcomes.Accepted} mutations loaded: the fuzzer hardly reaches past validation");
    }

    /// <summary>
    /// Loads the archive; a model that loads must run, on inputs of whatever shape it now takes (when small enough to
    /// try), and, when it has an optimizer (whose loaded state is then used), take a training step.
    /// </summary>
    private static void LoadAndPredict(FuzzOutcomes outcomes, string what, byte[] archive, bool undamaged = false)
    {
        const string source = "fuzz.keras";
        Model? model = null;
        if (outcomes.TryLoad(what, source, () => model = KerasFormat.LoadModel(new MemoryStream(archive, writable: false), source)))
        {
            outcomes.Use(what, () =>
            {
                Predict(model!);
                TrainStep(outcomes, model!, undamaged);
            });
        }
    }

    /// <summary>
    /// One <see cref="Model.TrainOnBatch"/> on 2 samples (zeros, with one-hot targets of the prediction's shape) when the
    /// model has an optimizer, so that its loaded state is used: it must not throw (a model that loaded is usable), and
    /// its loss must be finite for an undamaged archive and whenever
    /// every parameter is finite and at most 1e6 in magnitude. A damaged file may hold other float bits in a weight (NaN,
    /// or 1e38, which overflows): that is a valid file, so the loss is not checked then.
    /// </summary>
    private static void TrainStep(FuzzOutcomes outcomes, Model model, bool requireFiniteLoss)
    {
        if (model.Optimizer is null || model.InputShape.ElementCount > 1 << 16)
        {
            return;
        }

        if (model.Losses.All(loss => loss is null))
        {
            // A damaged compile config may say "loss": null: a model compiled without a loss, which trains on the losses
            // its layers add and refuses a step when there are none, as Keras does (InvalidOperationException, documented).
            try
            {
                model.TrainOnBatch(new Tensor(new TensorShape([2, .. model.InputShape.Dimensions])));
                outcomes.Note("training steps without a compiled loss (added losses only)");
            }
            catch (InvalidOperationException e) when (e.Message.StartsWith("No loss to compute", StringComparison.Ordinal))
            {
                outcomes.Note("training steps refused: compiled without a loss");
            }

            return;
        }

        var x = new Tensor(new TensorShape([2, .. model.InputShape.Dimensions]));
        var y = new Tensor(model.Predict(x).Shape);
        Span<float> targets = y.AsSpan();
        for (int i = 0; i < targets.Length; i += y.Shape[y.Shape.Rank - 1])
        {
            targets[i] = 1f;
        }

        // Weights of moderate size (NaN fails the comparison) must give a finite loss; damaged bits may hold NaN or 1e38.
        bool moderate = model.Parameters.All(p => TensorPrimitives.MaxMagnitude(p.Value.AsReadOnlySpan()) <= 1e6f);
        double loss = model.TrainOnBatch(x, y)["loss"];
        Assert.True(!(requireFiniteLoss || moderate) || double.IsFinite(loss), $"a training step's loss is {loss} though every parameter is finite and at most 1e6 in magnitude");
        outcomes.Note(double.IsFinite(loss) ? "training steps" : "training steps with a non-finite loss (weights not moderate)");
    }

    private static void Predict(Model model)
    {
        if (model.InputShape.ElementCount <= 1 << 16)
        {
            Tensor y = model.Predict(new Tensor(new TensorShape([2, .. model.InputShape.Dimensions])));
            Assert.Equal(2, y.Shape[0]);
        }
    }

    private static byte[] Mutate(byte[] archive, int kind, Random random) => kind switch
    {
        < 5 => ArchiveEntries.WithEntry(archive, "config.json", text => TextMutations.MutateJson(text, kind, random)),
        5 => ArchiveEntries.WithEntry(archive, "metadata.json", text => TextMutations.MutateJson(text, random.Next(TextMutations.JsonKinds), random)),
        6 => ArchiveEntries.WithEntryBytes(archive, "model.weights.h5", bytes => ByteMutations.Mutate(bytes, random)),
        _ => ByteMutations.Mutate(archive, random),
    };

    /// <summary>The model trained one epoch (so the archive holds optimizer variables), saved as a <c>.keras</c> archive.</summary>
    private static (byte[] Archive, int[] InputShape) Archive(Model model, Func<TensorShape, Tensor>? inputs = null)
    {
        int[] inputShape = [.. model.InputShape.Dimensions];
        Tensor x = (inputs ?? (shape => Tensor.RandomNormal(shape, seed: 3)))(new TensorShape([8, .. inputShape]));
        int classes = model.OutputShape.Dimensions[^1];
        Tensor y = new(new TensorShape(8, classes));
        for (int i = 0; i < 8; i++)
        {
            y[i, i % classes] = 1f;
        }

        model.Fit(x, y, epochs: 1, batchSize: 4, verbose: 0);
        string folder = Directory.CreateTempSubdirectory("neuralnet-keras-fuzz-").FullName;
        try
        {
            string path = Path.Combine(folder, "model.keras");
            KerasFormat.SaveModel(model, path);
            // The date saved fixed too (the entries' times are fixed by the rewrite), so every run damages the same bytes.
            byte[] archive = ArchiveEntries.WithEntry(File.ReadAllBytes(path), "metadata.json", text => Regex.Replace(text, "\"date_saved\": *\"[^\"]*\"", "\"date_saved\": \"2026-12-06@00:00:00\""));
            return (archive, inputShape);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static Sequential Mlp()
    {
        var model = new Sequential([new InputLayer(8)], seed: 1);
        model.Add(new Dense(6, ActivationFunction.Relu, kernelRegularizer: new L2(0.01)));
        model.Add(new BatchNormalization());
        model.Add(new Dropout(0.2));
        model.Add(new Dense(3, ActivationFunction.Softmax));
        model.Compile(new Adam(0.01f), new CategoricalCrossEntropy(), new Accuracy());
        return model;
    }

    private static Functional Graph()
    {
        var x = new Input(new TensorShape(8), "x");
        var shared = new Dense(6, ActivationFunction.Tanh, name: "shared");
        SymbolicTensor a = shared.Call(new Dense(6, ActivationFunction.Relu).Call(x));
        SymbolicTensor b = shared.Call(new Add(name: "sum").Call(a, new Dense(6).Call(a)));
        SymbolicTensor y = new Dense(3, ActivationFunction.Softmax).Call(new Concatenate(name: "joined").Call(a, b));
        var model = new Functional(x, y, seed: 2);
        model.Compile(new RmsProp(0.01f), new CategoricalCrossEntropy());
        return model;
    }

    private static Sequential ConvNet()
    {
        var model = new Sequential([new InputLayer(8, 8, 2)], seed: 3);
        model.Add(new Conv2D(4, 3, padding: Padding.Same));
        model.Add(new MaxPooling2D());
        model.Add(new Flatten());
        model.Add(new Dense(2, ActivationFunction.Softmax));
        model.Compile(new Sgd(0.01f, momentum: 0.9f), new CategoricalCrossEntropy());
        return model;
    }

    private static Model Sequence()
    {
        Model model = Model.FromJson(KerasConfigs.FunctionalSequenceModel);
        model.Compile(new Adam(0.005f), new CategoricalCrossEntropy());
        return model;
    }

    /// <summary>Ids 0-9 with padding zeros, for the embedding.</summary>
    private static Tensor Ids(TensorShape shape)
    {
        var ids = new Tensor(shape);
        Span<float> values = ids.AsSpan();
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = i % 7 == 6 ? 0 : (i * 5) % 10;
        }

        return ids;
    }

    /// <summary>A masked embedding into an LSTM and an RNN over stacked cells: Keras' mask and StackedRNNCells readers.</summary>
    private static Functional MaskedStackedCells()
    {
        var x = new Input(new TensorShape(5), "ids");
        SymbolicTensor embedded = new Embedding(10, 4, maskZero: true).Call(x);
        SymbolicTensor h = new Lstm(3, returnSequences: true).Call(embedded);
        SymbolicTensor last = new Rnn(new StackedRnnCells(new GruCell(3), new SimpleRnnCell(2))).Call(h);
        var model = new Functional(x, new Dense(2, ActivationFunction.Softmax).Call(last), seed: 5);
        model.Compile(new Adam(0.01f), new CategoricalCrossEntropy());
        return model;
    }

    private static Functional Operations()
    {
        var x = new Input(new TensorShape(4, 3), "x");
        SymbolicTensor scaled = new ScalarArithmetic(ArithmeticOperator.Multiply, 0.5f).Call(x);
        SymbolicTensor squared = new ElementwiseMath(ElementwiseFunction.Square).Call(scaled);
        SymbolicTensor mean = new Reduce(Reduction.Mean, [1]).Call(squared);
        SymbolicTensor y = new Dense(2, ActivationFunction.Softmax).Call(new Clip(-1f, 1f).Call(mean));
        var model = new Functional(x, y, seed: 4);
        model.Compile(new Adam(0.01f), new CategoricalCrossEntropy());
        return model;
    }
}
