using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Serialization;
using Xunit;

namespace NeuralNet.Tests.Serialization;

/// <summary>
/// Optimizer state read from a model file (RestoreTrainingState, Load) must match the optimizer that takes it: a parameter
/// with only part of the optimizer's slots is refused before anything changes, and the state becomes exactly the file's.
/// </summary>
public class OptimizerStateRestoreTests
{
    [Fact]
    public void RestoreTrainingState_AdamStateIntoAdamWithEma_RefusesNamingTheMissingSlotAndChangesNothing()
    {
        // Before: momentum and velocity were copied, "average" kept whatever it held, and the end of Fit put those
        // averages (zeros for a fresh optimizer) into the weights.
        SafeTensorsFile file = Trained(new Adam(0.01f), epochs: 2);
        Sequential model = NewModel();
        model.Compile(new Adam(0.01f) { UseEma = true }, new MeanSquaredError());
        Fit(model, epochs: 1);
        var before = Snapshot(model);

        var ex = Assert.Throws<InvalidDataException>(() => ModelSerializer.RestoreTrainingState(model, file));
        Assert.Contains("average", ex.Message, StringComparison.Ordinal);
        Assert.Contains("UseEma", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Nothing was changed", ex.Message, StringComparison.Ordinal);
        AssertSame(before, Snapshot(model));
    }

    [Fact]
    public void RestoreTrainingState_EmaStateIntoAdamWithoutEma_RefusesTheExtraSlot()
    {
        SafeTensorsFile file = Trained(new Adam(0.01f) { UseEma = true }, epochs: 1);
        Sequential model = NewModel();
        model.Compile(new Adam(0.01f), new MeanSquaredError());
        Fit(model, epochs: 1);
        var before = Snapshot(model);
        var ex = Assert.Throws<InvalidDataException>(() => ModelSerializer.RestoreTrainingState(model, file));
        Assert.Contains("average", ex.Message, StringComparison.Ordinal);
        AssertSame(before, Snapshot(model));
    }

    [Fact]
    public void RestoreTrainingState_OptimizerWithStateTheFileLacks_EndsWithExactlyTheFileState()
    {
        // The file was written while the first Dense was frozen: it has state for the second only. The optimizer that
        // takes it had state for both (and more steps); the first layer's is dropped rather than kept from another run.
        Sequential writer = NewModel();
        writer.Layers.First(l => l.Parameters.Count > 0).Trainable = false;
        writer.Compile(new Adam(0.01f), new MeanSquaredError());
        Fit(writer, epochs: 2);
        var (tensors, metadata) = ModelSerializer.DescribeModel(writer, includeTraining: true);
        SafeTensorsFile file = ReadBack(tensors, metadata);
        string[] fileState = [.. file.Names.Where(n => n.StartsWith(ModelSerializer.OptimizerPrefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal)];
        Assert.Equal(4, fileState.Length); // kernel and bias of the second Dense, momentum and velocity each

        Sequential model = NewModel();
        model.Compile(new Adam(0.01f), new MeanSquaredError());
        Fit(model, epochs: 3);
        Assert.Equal(8, model.Optimizer!.GetStateTensors().Count());

        ModelSerializer.RestoreTrainingState(model, file);
        Optimizer optimizer = model.Optimizer!;
        Assert.Equal(writer.Optimizer!.StepCount, optimizer.StepCount);
        var state = optimizer.GetStateTensors().ToList();
        Assert.Equal(fileState, state.Select(s => $"{ModelSerializer.OptimizerPrefix}{model.ParameterName(s.Parameter)}/{s.Slot}").Order(StringComparer.Ordinal));
        foreach (var (parameter, slot, value) in state)
        {
            Assert.Equal(file[$"{ModelSerializer.OptimizerPrefix}{model.ParameterName(parameter)}/{slot}"].ToArray(), value.ToArray());
        }
    }

    [Fact]
    public void Load_FileWithPartOfAParametersState_IsRefusedNamingTheMissingSlot()
    {
        // A file whose velocity of one parameter is missing (another tool, an edited file) used to load with a zero velocity.
        Sequential model = NewModel();
        model.Compile(new Adam(0.01f), new MeanSquaredError());
        Fit(model, epochs: 1);
        var (tensors, metadata) = ModelSerializer.DescribeModel(model, includeTraining: true);
        string dropped = tensors.First(t => t.Key.EndsWith("/velocity", StringComparison.Ordinal)).Key;
        tensors.RemoveAll(t => t.Key == dropped);
        SafeTensorsFile file = ReadBack(tensors, metadata);

        var ex = Assert.Throws<InvalidDataException>(() => ModelSerializer.ReadModel(file));
        Assert.Contains(dropped, ex.Message, StringComparison.Ordinal);
        Assert.Contains("no velocity", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RestoreTrainingState_MatchingOptimizer_ResumesBitForBit()
    {
        // The check does not get in the way of the normal case: restore, train on, same bits as the original trained on.
        Sequential original = NewModel();
        original.Compile(new Adam(0.01f) { UseEma = true }, new MeanSquaredError());
        Fit(original, epochs: 2);
        var (tensors, metadata) = ModelSerializer.DescribeModel(original, includeTraining: true);
        SafeTensorsFile file = ReadBack(tensors, metadata);

        Sequential restored = NewModel();
        restored.Compile(new Adam(0.01f) { UseEma = true }, new MeanSquaredError());
        Fit(restored, epochs: 1);
        ModelSerializer.RestoreTrainingState(restored, file);
        Fit(original, epochs: 1);
        Fit(restored, epochs: 1);
        Assert.Equal(original.Parameters.Select(p => p.Value.ToArray()), restored.Parameters.Select(p => p.Value.ToArray()));
    }

    private static Sequential NewModel() => new([new InputLayer(3), new Dense(4), new Dense(2)], seed: 7);

    private static void Fit(Model model, int epochs) =>
        model.Fit(Tensor.RandomNormal(new TensorShape(16, 3), 1), Tensor.RandomNormal(new TensorShape(16, 2), 2), epochs: epochs, batchSize: 8, verbose: 0, shuffle: false);

    private static SafeTensorsFile Trained(Optimizer optimizer, int epochs)
    {
        Sequential model = NewModel();
        model.Compile(optimizer, new MeanSquaredError());
        Fit(model, epochs);
        var (tensors, metadata) = ModelSerializer.DescribeModel(model, includeTraining: true);
        return ReadBack(tensors, metadata);
    }

    private static SafeTensorsFile ReadBack(List<KeyValuePair<string, Tensor>> tensors, Dictionary<string, string> metadata)
    {
        using var stream = new MemoryStream();
        SafeTensors.Write(stream, tensors, metadata);
        stream.Position = 0;
        return SafeTensors.Read(stream, "backup.safetensors");
    }

    private static (float[][] Weights, (string, string, float[])[] State, long Steps) Snapshot(Model model) =>
        ([.. model.Parameters.Select(p => p.Value.ToArray())],
         [.. model.Optimizer!.GetStateTensors().Select(s => (s.Parameter.Name, s.Slot, s.Value.ToArray()))],
         model.Optimizer.StepCount);

    private static void AssertSame((float[][] Weights, (string, string, float[])[] State, long Steps) expected, (float[][] Weights, (string, string, float[])[] State, long Steps) actual)
    {
        Assert.Equal(expected.Weights, actual.Weights);
        Assert.Equal(expected.Steps, actual.Steps);
        Assert.Equal(expected.State.Length, actual.State.Length);
        for (int i = 0; i < expected.State.Length; i++)
        {
            Assert.Equal((expected.State[i].Item1, expected.State[i].Item2), (actual.State[i].Item1, actual.State[i].Item2));
            Assert.Equal(expected.State[i].Item3, actual.State[i].Item3);
        }
    }
}
