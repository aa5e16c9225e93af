using NeuralNet.Activations;
using NeuralNet.Initializers;
using NeuralNet.Layers;
using RecurrentLayer = NeuralNet.Layers.Recurrent;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Regularizers;
using NeuralNet.Tests.GradientChecking;
using NeuralNet.Training;
using Xunit;

namespace NeuralNet.Tests.Layers.Sequences;

public class RecurrentLayerTests
{
    private static readonly Func<RecurrentLayer>[] Variants =
    [
        () => new SimpleRnn(3),
        () => new SimpleRnn(3, returnSequences: true, goBackwards: true),
        () => new Lstm(3),
        () => new Lstm(3, returnSequences: true),
        () => new Lstm(2, goBackwards: true, useBias: false),
        () => new Lstm(3, unitForgetBias: false, returnSequences: true, goBackwards: true),
        () => new Gru(3),
        () => new Gru(3, returnSequences: true, goBackwards: true),
        () => new Gru(3, resetAfter: false),
        () => new Gru(2, resetAfter: false, returnSequences: true, goBackwards: true),
        () => new Gru(3, useBias: false, returnSequences: true),
    ];

    public static TheoryData<int> VariantIndices => [.. Enumerable.Range(0, Variants.Length)];

    // Keras' own expectations: keras/src/layers/rnn/*_test.py, test_correctness (kernel 0.01, recurrent kernel 0.02,
    // bias 0.03, input arange(72) as (3, 6, 4), or arange(24) as (2, 3, 4) for SimpleRNN). Each row's units are equal.
    [Theory]
    [InlineData("lstm", 0.6288687f, 0.86899155f, 0.9460773f)]
    [InlineData("lstm_backwards", 0.35622165f, 0.74789524f, 0.8872726f)]
    [InlineData("lstm_no_unit_forget_bias", 0.57019705f, 0.8661914f, 0.9459622f)]
    [InlineData("lstm_no_bias", 0.54986924f, 0.86226785f, 0.9443936f)]
    [InlineData("gru", 0.5217289f, 0.6371659f, 0.39384964f)]
    [InlineData("gru_backwards", 0.24406259f, 0.611516f, 0.3928808f)]
    [InlineData("gru_reset_before", 0.51447755f, 0.6426879f, 0.40208298f)]
    [InlineData("gru_no_bias", 0.49988455f, 0.64701194f, 0.4103359f)]
    [InlineData("simple_rnn", 0.405432f, 0.73605347f)]
    [InlineData("simple_rnn_backwards", 0.11144729f, 0.5528889f)]
    public void Matches_keras_published_values(string variant, params float[] expected)
    {
        Initializer k = new Constant(0.01f), r = new Constant(0.02f), b = new Constant(0.03f);
        Layer layer = variant switch
        {
            "lstm" => new Lstm(3, kernelInitializer: k, recurrentInitializer: r, biasInitializer: b),
            "lstm_backwards" => new Lstm(3, kernelInitializer: k, recurrentInitializer: r, biasInitializer: b, goBackwards: true),
            "lstm_no_unit_forget_bias" => new Lstm(3, kernelInitializer: k, recurrentInitializer: r, biasInitializer: b, unitForgetBias: false),
            "lstm_no_bias" => new Lstm(3, kernelInitializer: k, recurrentInitializer: r, biasInitializer: b, useBias: false),
            "gru" => new Gru(3, kernelInitializer: k, recurrentInitializer: r, biasInitializer: b),
            "gru_backwards" => new Gru(3, kernelInitializer: k, recurrentInitializer: r, biasInitializer: b, goBackwards: true),
            "gru_reset_before" => new Gru(3, kernelInitializer: k, recurrentInitializer: r, biasInitializer: b, resetAfter: false),
            "gru_no_bias" => new Gru(3, kernelInitializer: k, recurrentInitializer: r, biasInitializer: b, useBias: false),
            "simple_rnn" => new SimpleRnn(4, kernelInitializer: k, recurrentInitializer: r, biasInitializer: b),
            _ => new SimpleRnn(4, kernelInitializer: k, recurrentInitializer: r, biasInitializer: b, goBackwards: true),
        };
        bool simple = variant.StartsWith("simple", StringComparison.Ordinal);
        (int batch, int steps, int units) = simple ? (2, 3, 4) : (3, 6, 3);
        Tensor sequence = Tensor.FromArray([.. Enumerable.Range(0, batch * steps * 4).Select(i => (float)i)], batch, steps, 4);

        Tensor output = layer.Forward(sequence, training: false);

        Assert.Equal([batch, units], output.Shape.Dimensions.ToArray());
        for (int n = 0; n < batch; n++)
        {
            for (int j = 0; j < units; j++)
            {
                Assert.True(Math.Abs(output[n, j] - expected[n]) <= 1e-5 + (1e-5 * Math.Abs(expected[n])), $"{variant}: sample {n} unit {j} is {output[n, j]}, Keras gives {expected[n]}.");
            }
        }
    }

    [Theory]
    [MemberData(nameof(VariantIndices))]
    public void Forward_matches_the_float64_reference_of_keras_formulas(int variant)
    {
        RecurrentLayer layer = Built(variant, features: 4, steps: 5);
        Tensor input = Tensor.RandomNormal(new TensorShape(3, 5, 4), 17);

        float[] actual = layer.Forward(input, training: false).ToArray();
        float[] expected = RecurrentReference.Forward(layer, input);

        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(actual[i] - expected[i]) <= 2e-6 + (1e-5 * Math.Abs(expected[i])), $"{layer}: element {i} is {actual[i]}, the reference gives {expected[i]}.");
        }
    }

    [Theory]
    [MemberData(nameof(VariantIndices))]
    public void Backward_through_time_matches_numerical_gradients(int variant)
    {
        RecurrentLayer layer = Built(variant, features: 3, steps: 4);
        Tensor input = Tensor.RandomNormal(new TensorShape(2, 4, 3), 23);
        GradientChecker.CheckLayer(layer, input, seed: 5).AssertPassed(maxKinkFraction: 0);
    }

    [Fact]
    public void Gradients_include_the_penalties_of_all_three_weights()
    {
        var layer = new Lstm(2, kernelRegularizer: new L2(0.1), recurrentRegularizer: new L1(0.05), biasRegularizer: new L2(0.2), returnSequences: true) { Seed = 4 };
        layer.Build(new TensorShape(3, 2));
        GradientChecker.CheckLayer(layer, Tensor.RandomNormal(new TensorShape(2, 3, 2), 9), seed: 8).AssertPassed(maxKinkFraction: 0.05);
    }

    [Fact]
    public void Weights_have_keras_shapes_and_initial_values()
    {
        var lstm = new Lstm(5, name: "lstm");
        var gru = new Gru(5, name: "gru");
        var before = new Gru(5, resetAfter: false, name: "gru_v1");
        var rnn = new SimpleRnn(5, name: "rnn");
        var x = new Input(new TensorShape(7, 3));
        var model = new Functional(x, new Concatenate().Call(lstm.Call(x), gru.Call(x), before.Call(x), rnn.Call(x)), seed: 3);

        Assert.Equal([3, 20], lstm.Kernel.Shape.Dimensions.ToArray());
        Assert.Equal([5, 20], lstm.RecurrentKernel.Shape.Dimensions.ToArray());
        Assert.Equal([20], lstm.Bias!.Shape.Dimensions.ToArray());
        Assert.Equal([0f, 0f, 0f, 0f, 0f, 1f, 1f, 1f, 1f, 1f], lstm.Bias.Value.ToArray()[..10]);
        Assert.All(lstm.Bias.Value.ToArray()[10..], v => Assert.Equal(0f, v));
        Assert.Equal([2, 15], gru.Bias!.Shape.Dimensions.ToArray());
        Assert.Equal([15], before.Bias!.Shape.Dimensions.ToArray());
        Assert.Equal([5, 5], rnn.RecurrentKernel.Shape.Dimensions.ToArray());
        Assert.Equal(["lstm", "gru", "gru_v1", "rnn"], model.Layers.Skip(1).Take(4).Select(l => l.Name));

        // Orthogonal recurrent kernels: U·Uᵀ = I for the square (5, 5) one.
        float[] u = rnn.RecurrentKernel.Value.ToArray();
        for (int i = 0; i < 5; i++)
        {
            for (int j = 0; j < 5; j++)
            {
                double dot = Enumerable.Range(0, 5).Sum(k => (double)u[(i * 5) + k] * u[(j * 5) + k]);
                Assert.Equal(i == j ? 1.0 : 0.0, dot, 5);
            }
        }
    }

    [Fact]
    public void A_training_step_allocates_nothing_after_the_first_batch()
    {
        var random = new Random(5);
        Tensor x = Tensor.FromArray([.. Enumerable.Range(0, 96 * 6).Select(_ => (float)random.Next(12))], 96, 6);
        Tensor y = Tensor.RandomUniform(new TensorShape(96, 1), 3);
        var model = new Sequential([
            new InputLayer(6),
            new Embedding(12, 4),
            new Lstm(5, returnSequences: true),
            new Gru(4, returnSequences: true, goBackwards: true),
            new Gru(4, resetAfter: false, returnSequences: true),
            new SimpleRnn(3),
            new Dense(1, ActivationFunction.Sigmoid),
        ]);
        model.Compile(new Adam(), new BinaryCrossEntropy());
        var loader = new NeuralNet.Datasets.BatchLoader(x, y, 32, shuffle: true, seed: 1);
        for (int b = 0; b < loader.BatchCount; b++)
        {
            (Tensor inputs, Tensor targets) = loader.GetBatch(b);
            model.TrainStep(inputs, targets);
        }

        AllocationCheck.AssertNone(() =>
        {
            loader.Reshuffle();
            for (int b = 0; b < loader.BatchCount; b++)
            {
                (Tensor inputs, Tensor targets) = loader.GetBatch(b);
                model.TrainStep(inputs, targets);
            }

        });
    }

    [Fact]
    public void Training_gives_the_same_bits_with_one_and_two_threads()
    {
        Tensor x = Tensor.RandomNormal(new TensorShape(128, 12, 16), 4);
        Tensor y = Tensor.RandomUniform(new TensorShape(128, 1), 5);
        int saved = Parallelism.MaxDegreeOfParallelism;
        try
        {
            var weights = new List<int[][]>();
            foreach (int threads in new[] { 1, 2 })
            {
                Parallelism.MaxDegreeOfParallelism = threads;
                var model = new Sequential([
                    new InputLayer(12, 16),
                    new Conv1D(32, 3, padding: Padding.Causal),
                    new Lstm(96, returnSequences: true),
                    new Gru(64),
                    new Dense(1, ActivationFunction.Sigmoid),
                ], seed: 8);
                model.Compile(new Adam(), new BinaryCrossEntropy());
                model.Fit(x, y, epochs: 2, batchSize: 64, verbose: 0);
                weights.Add([.. model.Parameters.Select(p => p.Value.ToArray().Select(BitConverter.SingleToInt32Bits).ToArray())]);
            }

            Assert.Equal(weights[0], weights[1]);
        }
        finally
        {
            Parallelism.MaxDegreeOfParallelism = saved;
        }
    }

    [Fact]
    public void Parameter_counts_equal_keras_on_28_features()
    {
        Assert.Equal(80_384, Count(new Lstm(128)));
        Assert.Equal(60_672, Count(new Gru(128)));
        Assert.Equal(59_904 + 384, Count(new Gru(128, resetAfter: false)));
        Assert.Equal(20_096, Count(new SimpleRnn(128)));

        static long Count(Layer layer)
        {
            layer.Build(new TensorShape(28, 28));
            return layer.ParameterCount;
        }
    }

    [Fact]
    public void A_rank_two_input_is_refused_with_keras_message()
    {
        var model = new Sequential();
        model.Add(new InputLayer(784));
        var error = Assert.Throws<ArgumentException>(() => model.Add(new Lstm(8, name: "lstm")));
        Assert.Contains("LSTM 'lstm' expects input (None, timesteps, features) but got (None, 784)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_text_model_trains_saves_and_loads_bit_for_bit()
    {
        // Embedding -> LSTM -> Dense, the Keras text classifier: the label is whether token 1 occurs in the sequence.
        var random = new Random(3);
        const int samples = 256, steps = 8;
        var ids = new float[samples * steps];
        var labels = new float[samples];
        for (int n = 0; n < samples; n++)
        {
            for (int t = 0; t < steps; t++)
            {
                ids[(n * steps) + t] = random.Next(2, 10);
            }

            if (n % 2 == 0)
            {
                ids[(n * steps) + random.Next(steps)] = 1;
                labels[n] = 1;
            }
        }

        var model = new Sequential(seed: 7);
        model.Add(new InputLayer(steps));
        model.Add(new Embedding(10, 8));
        model.Add(new Lstm(16, returnSequences: true));
        model.Add(new Gru(8));
        model.Add(new Dense(1, ActivationFunction.Sigmoid));
        model.Compile(new Adam(0.01f), new BinaryCrossEntropy(), new Accuracy());
        Tensor x = Tensor.FromArray(ids, samples, steps), y = Tensor.FromArray(labels, samples, 1);

        model.Fit(x, y, epochs: 15, batchSize: 32, verbose: 0);
        IReadOnlyDictionary<string, double> result = model.Evaluate(x, y, verbose: 0);
        Assert.True(result["accuracy"] >= 0.95, $"accuracy {result["accuracy"]}");

        string path = Path.Combine(Path.GetTempPath(), $"neuralnet-text-{Environment.ProcessId}.safetensors");
        try
        {
            model.Save(path);
            Model loaded = Model.Load(path);
            Assert.Equal(model.Predict(x).ToArray(), loaded.Predict(x).ToArray());
            Assert.Equal(["InputLayer", "Embedding", "LSTM", "GRU", "Dense"], loaded.Layers.Select(l => l.TypeName));
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static RecurrentLayer Built(int variant, int features, int steps)
    {
        RecurrentLayer layer = Variants[variant]();
        layer.Seed = 31 + variant;
        layer.Build(new TensorShape(steps, features));

        // Random biases (Keras' zeros would hide a wrong bias layout).
        if (layer.Bias is { } bias)
        {
            float[] values = Tensor.RandomNormal(bias.Shape, 41 + variant, 0f, 0.5f).ToArray();
            layer.Forward(Tensor.Zeros(1, steps, features), training: false);
            values.CopyTo(bias.Value.AsSpan());
        }

        return layer;
    }
}
