using System.IO.Compression;
using System.Text.Json.Nodes;
using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using Xunit;

namespace NeuralNet.Keras.Tests;

/// <summary>
/// Adafactor's and Muon's variables in a .keras archive, whose shapes are not all their parameters': Adafactor's factored
/// r and c (scalar placeholders for a parameter of fewer than two axes), Muon's velocity for AdamW's parameters only. The
/// lists are written out by hand from Keras' build methods (keras/src/optimizers/adafactor.py, muon.py).
/// </summary>
public sealed class KerasFactoredOptimizerStateTests : IDisposable
{
    // The model's trainable variables in Keras' order: conv2d/kernel (2, 2, 2, 3), conv2d/bias (3), dense/kernel (48, 4),
    // dense/bias (4), dense_1/kernel (4, 2), dense_1/bias (2).
    private static readonly (string Variable, string Parameter, string DType, int[] Shape)[] AdafactorVariables =
    [
        // BaseOptimizer.__init__: iteration (int64 under TensorFlow), learning_rate.
        ("iteration", "", "int64", []), ("learning_rate", "", "float32", []),

        // Adafactor.build, per variable: r = var.shape[:-1], c = var.shape[:-2] + (var.shape[-1],) for two axes or more,
        // else backend.Variable(0) scalars; then the velocity (add_variable_from_reference).
        ("r", "conv2d/kernel", "float32", [2, 2, 2]), ("c", "conv2d/kernel", "float32", [2, 2, 3]), ("velocity", "conv2d/kernel", "float32", [2, 2, 2, 3]),
        ("r", "conv2d/bias", "float32", []), ("c", "conv2d/bias", "float32", []), ("velocity", "conv2d/bias", "float32", [3]),
        ("r", "dense/kernel", "float32", [48]), ("c", "dense/kernel", "float32", [4]), ("velocity", "dense/kernel", "float32", [48, 4]),
        ("r", "dense/bias", "float32", []), ("c", "dense/bias", "float32", []), ("velocity", "dense/bias", "float32", [4]),
        ("r", "dense_1/kernel", "float32", [4]), ("c", "dense_1/kernel", "float32", [2]), ("velocity", "dense_1/kernel", "float32", [4, 2]),
        ("r", "dense_1/bias", "float32", []), ("c", "dense_1/bias", "float32", []), ("velocity", "dense_1/bias", "float32", [2]),
    ];

    private static readonly (string Variable, string Parameter, string DType, int[] Shape)[] MuonVariables =
    [
        ("iteration", "", "int64", []), ("learning_rate", "", "float32", []),

        // Muon.build, per variable: momentum, then velocity if _should_use_adamw(var): the conv2d kernel (four axes), every
        // bias (one axis) and dense_1/kernel (exclude_layers=["dense_1"]); dense/kernel takes Muon's rule, no velocity.
        ("momentum", "conv2d/kernel", "float32", [2, 2, 2, 3]), ("velocity", "conv2d/kernel", "float32", [2, 2, 2, 3]),
        ("momentum", "conv2d/bias", "float32", [3]), ("velocity", "conv2d/bias", "float32", [3]),
        ("momentum", "dense/kernel", "float32", [48, 4]),
        ("momentum", "dense/bias", "float32", [4]), ("velocity", "dense/bias", "float32", [4]),
        ("momentum", "dense_1/kernel", "float32", [4, 2]), ("velocity", "dense_1/kernel", "float32", [4, 2]),
        ("momentum", "dense_1/bias", "float32", [2]), ("velocity", "dense_1/bias", "float32", [2]),
    ];

    private readonly string _folder = Directory.CreateTempSubdirectory("neuralnet-keras-factored-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    public static TheoryData<string> Kinds => ["adafactor", "muon"];

    [Theory]
    [MemberData(nameof(Kinds))]
    public void SaveModelThenLoadModel_ResumedTraining_EqualsUninterruptedBitForBit(string kind)
    {
        Sequential uninterrupted = NewModel(Create(kind)), first = NewModel(Create(kind));
        for (int step = 0; step < 4; step++)
        {
            Train(uninterrupted, step);
            Train(first, step);
        }

        string path = Path.Combine(_folder, kind + ".keras");
        KerasFormat.SaveModel(first, path);
        Model resumed = KerasFormat.LoadModel(path);
        Assert.Equal(4, resumed.Optimizer!.StepCount);
        AssertSameState(first, resumed);
        for (int step = 4; step < 8; step++)
        {
            Train(uninterrupted, step);
            Train(resumed, step);
        }

        Assert.Equal(Weights(uninterrupted), Weights(resumed));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void SaveModelThenLoadModel_WithoutTheMoments_WouldNotResumeTheSame(string kind)
    {
        // The check above can fail: the same round trip with the step count kept but the moments dropped ends elsewhere.
        Sequential uninterrupted = NewModel(Create(kind)), first = NewModel(Create(kind));
        for (int step = 0; step < 4; step++)
        {
            Train(uninterrupted, step);
            Train(first, step);
        }

        string path = Path.Combine(_folder, kind + ".keras");
        KerasFormat.SaveModel(first, path);
        Model resumed = KerasFormat.LoadModel(path);
        resumed.Optimizer!.SetState(resumed.Optimizer.StepCount, []);
        for (int step = 4; step < 8; step++)
        {
            Train(uninterrupted, step);
            Train(resumed, step);
        }

        Assert.NotEqual(Weights(uninterrupted), Weights(resumed));
    }

    [H5pyTheory]
    [MemberData(nameof(Kinds))]
    public void SaveModel_WritesKerasVariablesInKerasBuildOrderAndShapes(string kind)
    {
        Sequential model = NewModel(Create(kind));
        for (int step = 0; step < 3; step++)
        {
            Train(model, step);
        }

        string path = Path.Combine(_folder, kind + ".keras");
        KerasFormat.SaveModel(model, path);

        var datasets = (JsonObject)H5py.Dump(ExtractWeights(path))["datasets"]!;
        var expected = kind == "adafactor" ? AdafactorVariables : MuonVariables;
        Assert.Equal(
            expected.Select((v, i) => $"optimizer/vars/{i} {v.DType} ({string.Join(", ", v.Shape)})"),
            datasets.Where(d => d.Key.StartsWith("optimizer/vars/", StringComparison.Ordinal))
                .OrderBy(d => int.Parse(d.Key["optimizer/vars/".Length..], System.Globalization.CultureInfo.InvariantCulture))
                .Select(d => $"{d.Key} {(string?)d.Value!["dtype"]} ({string.Join(", ", d.Value["shape"]!.AsArray().Select(n => (int)n!))})"));

        // The values: the step count, the rate and, for each slot, the optimizer's state for it.
        Assert.Equal(3.0, (double)datasets["optimizer/vars/0"]!["values"]![0]!);
        Optimizer optimizer = model.Optimizer!;
        for (int i = 2; i < expected.Length; i++)
        {
            Tensor state = optimizer.GetState(Find(model, expected[i].Parameter))[IndexOf(optimizer.StateSlotNames, expected[i].Variable)];
            Assert.Equal(state.ToArray(), datasets[$"optimizer/vars/{i}"]!["values"]!.AsArray().Select(v => (float)(double)v!).ToArray());
        }
    }

    [H5pyTheory]
    [MemberData(nameof(Kinds))]
    public void LoadModel_KerasLayoutArchive_RestoresEveryVariableWhereKerasPutIt(string kind)
    {
        // An archive whose optimizer variables are written by h5py in Keras' layout, each with its own random values: each
        // must arrive in its own slot. Muon's velocity of dense/kernel, which Keras does not have, is NeuralNet's scalar 0.
        Sequential model = NewModel(Create(kind));
        Train(model, 0);
        string path = Path.Combine(_folder, kind + ".keras");
        KerasFormat.SaveModel(model, path);
        var expected = kind == "adafactor" ? AdafactorVariables : MuonVariables;
        var values = new Dictionary<string, float[]>();
        RewriteWeights(path, datasets =>
        {
            datasets[0] = ("optimizer/vars/0", [], "int64", [7]);
            for (int i = 2; i < expected.Length; i++)
            {
                int length = expected[i].Shape.Aggregate(1, (a, d) => a * d);
                float[] random = Tensor.RandomUniform(new TensorShape(length), 300 + i, 0.1f, 1f).ToArray();
                values[expected[i].Variable + ":" + expected[i].Parameter] = random;
                datasets[i] = ($"optimizer/vars/{i}", expected[i].Shape, "float32", [.. random.Select(v => (double)v)]);
            }
        });

        Model loaded = KerasFormat.LoadModel(path);

        Optimizer optimizer = loaded.Optimizer!;
        Assert.Equal(7, optimizer.StepCount);
        foreach (string parameter in expected.Skip(2).Select(v => v.Parameter).Distinct())
        {
            IReadOnlyList<Tensor> state = optimizer.GetState(Find(loaded, parameter));
            for (int s = 0; s < state.Count; s++)
            {
                float[] actual = state[s].ToArray();
                if (values.TryGetValue(optimizer.StateSlotNames[s] + ":" + parameter, out float[]? written))
                {
                    Assert.Equal(written, actual);
                }
                else
                {
                    Assert.Equal(("muon", "velocity", "dense/kernel", 0), (optimizer.Name, optimizer.StateSlotNames[s], parameter, state[s].Shape.Rank));
                    Assert.Equal([0f], actual);
                }
            }
        }
    }

    [H5pyTheory]
    [InlineData("adafactor", 5, new[] { 3 }, "dataset 'optimizer/vars/5' has shape (3) but Keras' 'r' of that parameter is ()", "the 'r' () of parameter 'bias' (3,) of layer 'conv2d' (layers/conv2d/vars/1)")]
    [InlineData("adafactor", 8, new[] { 4, 48 }, "dataset 'optimizer/vars/8' has shape (4, 48) but Keras' 'r' of that parameter is (48,)", "the 'r' (48,) of parameter 'kernel' (48, 4) of layer 'dense' (layers/dense/vars/0)")]
    [InlineData("muon", 6, new int[0], "dataset 'optimizer/vars/6' has shape () but the parameter is (48, 4)", "the 'momentum' of parameter 'kernel' (48, 4) of layer 'dense' (layers/dense/vars/0)")]
    public void LoadOptimizerState_VariableOfAnotherShape_IsRefusedNamingItAndChangesNothing(string kind, int index, int[] wrongShape, string problem, string what)
    {
        Sequential model = NewModel(Create(kind));
        Train(model, 0);
        string path = Path.Combine(_folder, kind + ".keras");
        KerasFormat.SaveModel(model, path);
        RewriteWeights(path, datasets => datasets[index] = (datasets[index].Path, wrongShape, "float32", new double[wrongShape.Aggregate(1, (a, d) => a * d)]));

        var ex = Assert.Throws<InvalidDataException>(() => KerasFormat.LoadModel(path));
        Assert.Contains(problem, ex.Message, StringComparison.Ordinal);
        Assert.Contains(what, ex.Message, StringComparison.Ordinal);
        Assert.Contains($"variables of the {kind} optimizer in Keras 3.10+'s order", ex.Message, StringComparison.Ordinal);

        // Into a model that has trained on: refused before its optimizer changes.
        Train(model, 1);
        List<float[]> weights = Weights(model);
        var before = Snapshot(model);
        using (var archive = ZipFile.OpenRead(path))
        using (var stream = new MemoryStream())
        {
            archive.GetEntry("model.weights.h5")!.Open().CopyTo(stream);
            stream.Position = 0;
            using H5WeightsReader reader = H5WeightsReader.Open(stream, "rewritten", leaveOpen: true);
            ex = Assert.Throws<InvalidDataException>(() => KerasOptimizerState.Read(reader, model, KerasWeightLayout.Of(model), "3.16.0"));
        }

        Assert.Contains(what, ex.Message, StringComparison.Ordinal);
        Assert.Equal(2, model.Optimizer!.StepCount);
        Assert.Equal(before, Snapshot(model));
        Assert.Equal(weights, Weights(model));
    }

    [H5pyFact]
    public void LoadModel_MuonArchiveWithAnotherRuleChoice_IsSkippedAsKerasDoes()
    {
        // Earlier versions of Keras' Muon matched exclude_layers against variable.name (the bare "kernel"), not its path, so
        // exclude_layers=["dense_1"] sent nothing to AdamW and dense_1/kernel had no velocity: one variable fewer than this
        // Muon builds. Keras' load_own_variables skips a list of another length; so does LoadModel, leaving the optimizer
        // fresh rather than reading the variables after the gap into the wrong slots.
        Sequential model = NewModel(Create("muon"));
        Train(model, 0);
        string path = Path.Combine(_folder, "muon.keras");
        KerasFormat.SaveModel(model, path);
        RewriteWeights(path, datasets =>
        {
            datasets.RemoveAt(10);
            for (int i = 10; i < datasets.Count; i++)
            {
                datasets[i] = datasets[i] with { Path = $"optimizer/vars/{i}" };
            }
        });

        Model loaded = KerasFormat.LoadModel(path);

        Assert.False(loaded.Optimizer!.HasState);
        Assert.Equal(Weights(model), Weights(loaded));
    }

    [Theory]
    [InlineData("adafactor", "iteration learning_rate r:kernel(3) c:kernel(4) velocity:kernel(3,4) r:bias() c:bias() velocity:bias(4)")]
    [InlineData("muon", "iteration learning_rate momentum:kernel(3,4) momentum:bias(4) velocity:bias(4)")]
    public void OptimizerVariables_FollowKerasBuild(string kind, string expected)
    {
        var model = new Sequential([new InputLayer(3), new Dense(4)]);
        model.Compile(Create(kind), new MeanSquaredError());

        List<KerasOptimizerVariable> variables = KerasOptimizerVariables.Of(model.Optimizer!, KerasWeightLayout.Of(model), KerasOptimizerOrder.Keras310);

        Assert.Equal(expected, string.Join(' ', variables.Select(v => v.Kind switch
        {
            KerasOptimizerVariableKind.Iteration => "iteration",
            KerasOptimizerVariableKind.LearningRate => "learning_rate",
            _ => $"{v.SlotName}:{v.Weight!.Parameter.Name}({string.Join(',', v.Shape.Dimensions.ToArray())})",
        })));
    }

    // Conv2D (a kernel of four axes), Dense layers of two; Muon steps dense/kernel with its own rule, everything else with AdamW.
    private static Sequential NewModel(Optimizer optimizer)
    {
        var model = new Sequential([new InputLayer(5, 5, 2), new Conv2D(3, 2), new Flatten(), new Dense(4, ActivationFunction.Tanh), new Dense(2)], seed: 5);
        model.Compile(optimizer, new MeanSquaredError());
        return model;
    }

    private static Optimizer Create(string kind) => kind switch
    {
        "adafactor" => new Adafactor(0.05f, beta2Decay: -0.7f),
        "muon" => new Muon(0.02f, excludeLayers: ["dense_1"], adamLearningRateRatio: 0.5f),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    private static void Train(Model model, int step) =>
        model.TrainOnBatch(Tensor.RandomNormal(new TensorShape(6, 5, 5, 2), 100 + step), Tensor.RandomNormal(new TensorShape(6, 2), 200 + step));

    private static List<float[]> Weights(Model model) =>
        [.. model.Layers.SelectMany(l => l.Parameters.Select(p => p.Value.ToArray()))];

    private static List<float[]> Snapshot(Model model) =>
        [.. model.Layers.SelectMany(l => l.Parameters).SelectMany(p => model.Optimizer!.GetState(p).Select(t => t.ToArray()))];

    private static void AssertSameState(Model expected, Model actual)
    {
        Assert.Equal(expected.Optimizer!.StateSlotNames, actual.Optimizer!.StateSlotNames);
        foreach (Layer layer in expected.Layers)
        {
            foreach (Parameter parameter in layer.Parameters)
            {
                IReadOnlyList<Tensor> want = expected.Optimizer.GetState(parameter), got = actual.Optimizer.GetState(Find(actual, layer.Name + "/" + parameter.Name));
                Assert.Equal(want.Select(t => t.Shape), got.Select(t => t.Shape));
                Assert.Equal(want.Select(t => t.ToArray()), got.Select(t => t.ToArray()));
            }
        }
    }

    private static Parameter Find(Model model, string name)
    {
        string[] parts = name.Split('/', 2);
        return model.GetLayer(parts[0]).Parameters.Single(p => p.Name == parts[1]);
    }

    private static int IndexOf(IReadOnlyList<string> names, string name) =>
        Enumerable.Range(0, names.Count).Single(i => names[i] == name);

    private string ExtractWeights(string archivePath)
    {
        string h5 = Path.Combine(_folder, Path.GetFileNameWithoutExtension(archivePath) + ".extracted.h5");
        using ZipArchive archive = ZipFile.OpenRead(archivePath);
        archive.GetEntry("model.weights.h5")!.ExtractToFile(h5, overwrite: true);
        return h5;
    }

    // Replaces the archive's weights file by one h5py writes, as Keras' saving_lib does: the layers' datasets as they were,
    // the optimizer's variables (optimizer/vars/0, ...) as `change` leaves them.
    private void RewriteWeights(string archivePath, Action<List<(string Path, int[] Shape, string DType, double[] Values)>> change)
    {
        JsonObject dump = H5py.Dump(ExtractWeights(archivePath));
        var all = ((JsonObject)dump["datasets"]!).Select(d => (Path: d.Key, Shape: d.Value!["shape"]!.AsArray().Select(n => (int)n!).ToArray(),
            DType: (string)d.Value["dtype"]!, Values: d.Value["values"]!.AsArray().Select(v => (double)v!).ToArray())).ToList();
        const string prefix = "optimizer/vars/";
        var variables = all.Where(d => d.Path.StartsWith(prefix, StringComparison.Ordinal))
            .OrderBy(d => int.Parse(d.Path[prefix.Length..], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        change(variables);
        string[] groups = ["", .. dump["groups"]!.AsArray().Select(g => (string)g!).Where(g => g != "vars" && !g.EndsWith("/vars", StringComparison.Ordinal))];
        string h5 = Path.Combine(_folder, Path.GetFileNameWithoutExtension(archivePath) + ".rewritten.h5");
        H5py.Write(h5, groups, all.Where(d => !d.Path.StartsWith(prefix, StringComparison.Ordinal)).Concat(variables));
        using ZipArchive archive = ZipFile.Open(archivePath, ZipArchiveMode.Update);
        archive.GetEntry("model.weights.h5")!.Delete();
        archive.CreateEntryFromFile(h5, "model.weights.h5");
    }
}
