using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Tests.GradientChecking;
using NeuralNet.Tests.Models;
using NeuralNet.Training;
using Xunit;

namespace NeuralNet.Tests.Layers;

/// <summary>
/// Keras' <c>add_loss</c>: a layer adds a scalar to the model's loss from its forward pass (summed into Fit's, Evaluate's
/// and ComputeGradients' loss, as Keras 3's compute_loss adds model.losses), and its backward pass adds the term's gradient.
/// </summary>
public class AddLossTests
{
    // x = [[1, 2], [3, -1]], y = 0, the layers an identity: MSE = (1 + 4 + 9 + 1) / 4 = 3.75; the added term
    // 0.5 * (1 + 4 + 9 + 1) / 2 = 3.75; the loss 7.5 (every value exact in float32).
    private const double Mse = 3.75;
    private const double Added = 3.75;

    [Fact]
    public void FitEvaluateAndBatchCalls_ReportTheAddedLoss_HandComputed()
    {
        Tensor x = Tensor.FromArray([1f, 2f, 3f, -1f], 2, 2);
        Tensor y = Tensor.Zeros(2, 2);
        Sequential model = IdentityModel(new Sgd(0f));

        IReadOnlyDictionary<string, double> evaluated = model.Evaluate(x, y, batchSize: 2, verbose: 0);
        Assert.Equal(Mse + Added, evaluated["loss"], 6);
        Assert.Equal((float)Added, model.AddedLoss);

        using var output = new StringWriter();
        History history = model.Fit(x, y, epochs: 1, batchSize: 2, shuffle: false, verbose: 2, output: output);
        Assert.Equal(Mse + Added, history["loss"][0], 6);
        Assert.Contains("loss: 7.5000", output.ToString(), StringComparison.Ordinal);

        Assert.Equal(Mse + Added, model.ComputeGradients(x, y), 6);
        model.ResetMetrics();
        Assert.Equal(Mse + Added, model.TrainOnBatch(x, y)["loss"], 6);
        model.ResetMetrics();
        Assert.Equal(Mse + Added, model.TestOnBatch(x, y)["loss"], 6);
    }

    [Fact]
    public void SharedLayer_EachCallAddsItsTerm()
    {
        // The same layer called twice on an identity path: both calls add 0.5 * 15 / 2.
        var input = new Input(new TensorShape(2));
        var squares = new SquaresLoss(0.5f);
        var model = new Functional(input, squares.Call(squares.Call(input)));
        model.Compile(new Sgd(0f), new MeanSquaredError());
        Tensor x = Tensor.FromArray([1f, 2f, 3f, -1f], 2, 2);

        Assert.Equal(Mse + (2 * Added), model.Evaluate(x, Tensor.Zeros(2, 2), verbose: 0)["loss"], 6);
        Assert.Equal((float)(2 * Added), model.AddedLoss);
    }

    [Fact]
    public void Evaluate_BatchLargerThanTheTrainingBatch_MeanTermIsTheWholeBatchs()
    {
        // 600 rows, more than the 128 an untrained model runs at once: the batch runs whole because a layer adds a loss,
        // and a term that is a mean over its rows gives what batches of 100 give as well.
        (Tensor x, Tensor y) = ModelTestData.RandomClassification(600, 6, 3, seed: 2);
        var model = new Sequential([new InputLayer(6), new Dense(5, ActivationFunction.Tanh), new SquaresLoss(0.3f), new Dense(3, ActivationFunction.Softmax)], seed: 3);
        model.Compile(new Adam(0.01f), new CategoricalCrossEntropy());
        double passes = model.Evaluate(x, y, batchSize: 600, verbose: 0)["loss"];
        double batches = model.Evaluate(x, y, batchSize: 100, verbose: 0)["loss"];
        Assert.Equal(batches, passes, 5);

        var plain = new Sequential([new InputLayer(6), new Dense(5, ActivationFunction.Tanh), new Dense(3, ActivationFunction.Softmax)]);
        plain.Compile(new Adam(0.01f), new CategoricalCrossEntropy());
        plain.SetWeights(model.GetWeights());
        Tensor hidden = new Sequential([new InputLayer(6), (Dense)model.Layers[1]]).Predict(x);
        double term = 0.3 * hidden.ToArray().Sum(v => (double)v * v) / 600;
        Assert.Equal(plain.Evaluate(x, y, batchSize: 600, verbose: 0)["loss"] + term, passes, 5);
    }

    [Fact]
    public void Evaluate_SumTypeTerm_IsTheWholeBatchs_AsKeras()
    {
        // Keras' add_loss docstring adds ops.sum(x): a term that is not a mean over the rows. A layer adding its batch's row
        // count gives 600 for a batch of 600 in Keras; run in passes of 128 (untrained) or 512 (after Fit at 512) and
        // averaged by rows it gave 122.13 and 449.81. The compiled MSE is 0 (zero inputs, zero bias, zero targets).
        var model = new Sequential([new InputLayer(2), new Dense(2), new RowCountLoss()]);
        model.Compile(new Sgd(0f), new MeanSquaredError());
        Tensor x = Tensor.Zeros(600, 2);
        Assert.Equal(600, model.Evaluate(x, x, batchSize: 600, verbose: 0)["loss"], 6);
        Assert.Equal(600f, model.AddedLoss);

        model.Fit(Tensor.Zeros(512, 2), Tensor.Zeros(512, 2), epochs: 1, batchSize: 512, verbose: 0);
        Assert.Equal(600, model.Evaluate(x, x, batchSize: 600, verbose: 0)["loss"], 6);
        Assert.Equal(600, model.TestOnBatch(x, x)["loss"], 6);

        // Batches of the caller's size still count as Keras': 600 rows in batches of 200 report 200.
        Assert.Equal(200, model.Evaluate(x, x, batchSize: 200, verbose: 0)["loss"], 6);
    }

    [Fact]
    public void GradientCheckers_CountTheLayersAddedLoss()
    {
        // The single-layer checkers' objective is sum(G ⊙ y) + the layer's added loss, what its backward pass differentiates.
        Tensor x = Tensor.RandomNormal(new TensorShape(4, 3), seed: 51);
        GradientChecker.CheckLayer(new SquaresLoss(0.4f), x, seed: 52).AssertPassed();

        Tensor mean = Tensor.RandomUniform(new TensorShape(4, 3), seed: 53);
        Tensor logVar = Tensor.RandomUniform(new TensorShape(4, 3), seed: 54);
        MultiInputGradientChecker.CheckLayer(new KlSampling(55, fixedNoise: true), [mean, logVar], seed: 56).AssertPassed();
    }

    [Fact]
    public void ModelGradient_WithTheKlTerm_MatchesNumericalGradients()
    {
        // encoder -> (z_mean, z_log_var) -> sampling with fixed noise (deterministic) -> decoder; every parameter checked
        // against central differences of sum(G ⊙ output) + the KL term the sampling layer adds.
        Functional model = Vae(features: 5, latent: 2, hidden: 4, fixedNoise: true, seed: 11);
        Tensor x = Tensor.RandomUniform(new TensorShape(6, 5), seed: 12);
        model.Forward([x], training: false);
        Assert.True(model.AddedLoss > 0);
        ModelGradientChecker.Check(model, [x], seed: 13).AssertPassed();
    }

    [Fact]
    public void OutputNoLossReads_TheAddedTermStillTrainsItsBranch()
    {
        // Output "side" has no compiled loss: its Dense kernel's gradient comes from the added term alone, through a
        // backward pass the model runs with a zero output gradient.
        var input = new Input(new TensorShape(3));
        SymbolicTensor main = new Dense(2, name: "main").Call(input);
        var sideDense = new Dense(2, name: "side_dense");
        SymbolicTensor side = new SquaresLoss(0.7f, name: "side").Call(sideDense.Call(input));
        var model = new Functional(input, [main, side], seed: 5);
        model.Compile(new Sgd(0f), [new MeanSquaredError(), null]);
        (Tensor x, _) = ModelTestData.RandomClassification(4, 3, 2, seed: 6);
        Tensor[] y = [Tensor.Zeros(4, 2), Tensor.Zeros(4, 2)];

        Parameter kernel = sideDense.Kernel;
        kernel.ZeroGradient();
        model.ComputeGradients(x, y);
        float[] analytic = kernel.Gradient.ToArray();
        Assert.Contains(analytic, g => Math.Abs(g) > 1e-3);

        Span<float> w = kernel.Value.AsSpan();
        for (int i = 0; i < w.Length; i++)
        {
            float original = w[i];
            const float h = 1e-3f;
            w[i] = original + h;
            double up = model.ComputeGradients(x, y);
            w[i] = original - h;
            double down = model.ComputeGradients(x, y);
            w[i] = original;
            Assert.Equal((up - down) / (2 * h), analytic[i], 2e-3);
        }
    }

    [Fact]
    public void TrainingStep_WithAddLoss_AllocatesNothingAfterTheFirstBatch()
    {
        Functional model = Vae(features: 16, latent: 2, hidden: 8, fixedNoise: false, seed: 21);
        Tensor x = Tensor.RandomUniform(new TensorShape(16, 16), seed: 22);
        model.TrainStep(x, x);
        AllocationCheck.AssertNone(() =>
        {
            for (int i = 0; i < 5; i++)
            {
                model.TrainStep(x, x);
            }
        });
    }

    [Fact]
    public void Vae_SameSeed_SameBits()
    {
        Tensor x = Images(64, seed: 31);
        float[][] runs = new float[2][];
        double[][] losses = new double[2][];
        for (int run = 0; run < 2; run++)
        {
            Functional model = Vae(features: 64, latent: 2, hidden: 16, fixedNoise: false, seed: 32);
            losses[run] = [.. model.Fit(x, x, epochs: 2, batchSize: 16, verbose: 0)["loss"]];
            runs[run] = [.. model.GetWeights().SelectMany(t => t.ToArray())];
        }

        Assert.Equal(losses[0], losses[1]);
        Assert.Equal(runs[0], runs[1]);
    }

    [Fact]
    public void Vae_On8x8Images_FitLowersTheLoss_AndTheKlTermIsInIt()
    {
        // Keras' VAE tutorial, small: 8x8 images of a bright blob at a random place, latent 2; loss = BCE summed over the
        // 64 pixels (BCE's mean times a loss weight of 64) + the KL term the sampling layer adds.
        Tensor x = Images(512, seed: 41);
        Functional model = Vae(features: 64, latent: 2, hidden: 32, fixedNoise: false, seed: 42, learningRate: 0.005);
        History history = model.Fit(x, x, epochs: 15, batchSize: 32, verbose: 0);
        IReadOnlyList<double> loss = history["loss"];
        Assert.True(loss[^1] < 0.6 * loss[0], $"loss {loss[0]} -> {loss[^1]}");

        // Evaluate's loss is the reconstruction of its own draw (the decoder's last output) plus the KL term of that pass.
        // The KL term is computed here from the encoder's outputs of that pass, not read from the layer.
        Tensor batch = x.Slice(0, 32);
        double total = model.Evaluate(batch, batch, batchSize: 32, verbose: 0)["loss"];
        float[] mean = model.GetLayer("z_mean").GetOutput(0).ToArray(), logVar = model.GetLayer("z_log_var").GetOutput(0).ToArray();
        double kl = 0;
        for (int i = 0; i < mean.Length; i++)
        {
            kl += -0.5 * (1 + logVar[i] - ((double)mean[i] * mean[i]) - Math.Exp(logVar[i]));
        }

        kl /= 32;
        Assert.True(kl > 0.01, $"KL {kl}");
        Tensor reconstruction = model.Layers[^1].GetOutput(0);
        double bce = 64 * new BinaryCrossEntropy().Compute(reconstruction, batch);
        Assert.Equal(bce + kl, total, 3);
    }

    [Fact]
    public void AddLoss_OutsideTheForwardPass_IsRefusedNamingTheLayer()
    {
        var layer = new MisplacedAddLoss(name: "misplaced");
        var model = new Sequential([new InputLayer(2), new Dense(2), layer]);
        model.Compile(new Sgd(0.1f), new MeanSquaredError());
        Tensor x = Tensor.Ones(2, 2);

        var fromBackward = Assert.Throws<InvalidOperationException>(() => model.ComputeGradients(x, x));
        Assert.Contains("'misplaced'", fromBackward.Message, StringComparison.Ordinal);
        Assert.Contains("outside its forward pass", fromBackward.Message, StringComparison.Ordinal);

        var anytime = Assert.Throws<InvalidOperationException>(() => layer.AddNow(1f));
        Assert.Contains("AddLoss", anytime.Message, StringComparison.Ordinal);
        Assert.Equal(0f, layer.AddedLoss);
    }

    [Fact]
    public void AddLoss_NaN_ReachesTheLoss_AndTerminateOnNaNStops()
    {
        // As in Keras, a non-finite term is not refused: it makes the loss non-finite, which TerminateOnNaN watches for.
        var model = new Sequential([new InputLayer(2), new Dense(2), new ConstantLoss(float.NaN)]);
        model.Compile(new Sgd(0.1f), new MeanSquaredError());
        Tensor x = Tensor.Ones(8, 2);
        using var output = new StringWriter();
        var stop = new TerminateOnNaN(output);
        model.Fit(x, x, epochs: 3, batchSize: 4, callbacks: [stop], verbose: 0);
        Assert.Equal(0, stop.StoppedEpoch);
        Assert.Equal(0, stop.StoppedBatch);
        Assert.True(double.IsNaN(stop.InvalidLoss!.Value));
    }

    private static Sequential IdentityModel(Optimizer optimizer)
    {
        // Dense with an identity kernel and zero bias, then the squares term: predictions are x.
        var model = new Sequential([new InputLayer(2), new Dense(2), new SquaresLoss(0.5f)]);
        model.Compile(optimizer, new MeanSquaredError());
        model.SetWeights([Tensor.FromArray([1f, 0f, 0f, 1f], 2, 2), Tensor.Zeros(2)]);
        return model;
    }

    // x -> Dense(hidden, relu) -> z_mean, z_log_var (Dense(latent) each) -> sampling (+ KL) -> Dense(hidden, relu)
    // -> Dense(features, sigmoid); BCE times `features` (summed over the pixels, as the tutorial).
    private static Functional Vae(int features, int latent, int hidden, bool fixedNoise, long seed, double learningRate = 0.01)
    {
        var input = new Input(new TensorShape(features));
        SymbolicTensor h = new Dense(hidden, ActivationFunction.Relu).Call(input);
        SymbolicTensor mean = new Dense(latent, name: "z_mean").Call(h);
        SymbolicTensor logVar = new Dense(latent, name: "z_log_var").Call(h);
        SymbolicTensor z = new KlSampling(seed + 1, fixedNoise).Call(mean, logVar);
        SymbolicTensor decoded = new Dense(features, ActivationFunction.Sigmoid).Call(new Dense(hidden, ActivationFunction.Relu).Call(z));
        var model = new Functional(input, decoded, name: "vae", seed: seed);
        model.Compile(new Adam(learningRate), [new BinaryCrossEntropy()], [features]);
        return model;
    }

    // Images of 8x8 pixels in [0, 1]: a Gaussian blob (sigma 1.2 pixels) centred at a random place.
    private static Tensor Images(int count, long seed)
    {
        var random = new SeededRandom(seed);
        var images = new Tensor(count, 64);
        for (int n = 0; n < count; n++)
        {
            double cy = 1 + (random.NextDouble() * 5), cx = 1 + (random.NextDouble() * 5);
            for (int i = 0; i < 8; i++)
            {
                for (int j = 0; j < 8; j++)
                {
                    double d2 = ((i - cy) * (i - cy)) + ((j - cx) * (j - cx));
                    images[n, (i * 8) + j] = (float)Math.Exp(-d2 / (2 * 1.2 * 1.2));
                }
            }
        }

        return images;
    }
}
