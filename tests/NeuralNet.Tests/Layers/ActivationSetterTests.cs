using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using Xunit;

namespace NeuralNet.Tests.Layers;

// A layer's Activation set after construction, as Keras' layer.activation = ... (transfer learning drops a softmax).
public class ActivationSetterTests
{
    private static readonly Tensor s_x = Tensor.RandomNormal(new TensorShape(5, 4), seed: 11);

    // x @ kernel + bias in double, row by row: the reference the layer's outputs are checked against.
    private static double[,] Affine(Dense dense, Tensor x)
    {
        int rows = x.Shape[0], inputs = x.Shape[1], units = dense.Units;
        var z = new double[rows, units];
        for (int r = 0; r < rows; r++)
        {
            for (int u = 0; u < units; u++)
            {
                double sum = dense.Bias!.Value[u];
                for (int i = 0; i < inputs; i++)
                {
                    sum += (double)x[r, i] * dense.Kernel.Value[i, u];
                }

                z[r, u] = sum;
            }
        }

        return z;
    }

    [Fact]
    public void Activation_SetAfterPredictions_NextPredictionUsesIt()
    {
        var dense = new Dense(3, ActivationFunction.Softmax, biasInitializer: new NeuralNet.Initializers.Constant(0.25f));
        var model = new Sequential([new InputLayer(4), dense], seed: 5);
        Tensor probabilities = model.Predict(s_x);

        dense.Activation = ActivationFunction.Linear;
        Tensor logits = model.Predict(s_x);
        dense.Activation = ActivationFunction.Relu;
        Tensor relu = model.Predict(s_x);

        double[,] z = Affine(dense, s_x);
        for (int r = 0; r < 5; r++)
        {
            double total = Math.Exp(z[r, 0]) + Math.Exp(z[r, 1]) + Math.Exp(z[r, 2]);
            for (int u = 0; u < 3; u++)
            {
                Assert.Equal(Math.Exp(z[r, u]) / total, probabilities[r, u], 5);
                Assert.Equal(z[r, u], logits[r, u], 5);
                Assert.Equal(Math.Max(z[r, u], 0), relu[r, u], 5);
            }
        }
    }

    [Fact]
    public void Activation_SetBeforeBuild_UsedAndSaved()
    {
        var dense = new Dense(3, ActivationFunction.Softmax) { Activation = ActivationFunction.Tanh };
        var model = new Sequential([new InputLayer(4), dense], seed: 5);
        Tensor y = model.Predict(s_x);

        double[,] z = Affine(dense, s_x);
        Assert.Equal(Math.Tanh(z[2, 1]), y[2, 1], 5);
        Assert.IsType<NeuralNet.Activations.Tanh>(dense.GetConfig().GetActivation("activation"));
        dense.Activation = ActivationFunction.Linear;
        Assert.IsType<NeuralNet.Activations.Linear>(dense.GetConfig().GetActivation("activation"));
    }

    [Fact]
    public void Activation_Null_ThrowsBeforeAnythingChanges()
    {
        var dense = new Dense(3, ActivationFunction.Softmax);
        var e = Assert.Throws<ArgumentNullException>(() => dense.Activation = null!);
        Assert.Equal("value", e.ParamName);
        Assert.Contains("ActivationFunction.Linear", e.Message, StringComparison.Ordinal);
        Assert.IsType<NeuralNet.Activations.Softmax>(dense.Activation);
    }

    // The trainer pairs a final softmax with cross-entropy (the gradient with respect to the logits); after the softmax is
    // replaced, a step must differentiate through the new activation, as a model made with it from the start does.
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void TrainOnBatch_SoftmaxSwappedBetweenSteps_StepsAsAModelMadeWithTheNewActivation(bool fromSoftmax)
    {
        var y = new Tensor(5, 3);
        int[] classes = [0, 2, 1, 1, 0];
        for (int r = 0; r < 5; r++)
        {
            y[r, classes[r]] = 1f;
        }

        ActivationFunction before = fromSoftmax ? ActivationFunction.Softmax : ActivationFunction.Sigmoid;
        ActivationFunction after = fromSoftmax ? ActivationFunction.Sigmoid : ActivationFunction.Softmax;
        var swapped = new Dense(3, before);
        var model = new Sequential([new InputLayer(4), swapped], seed: 5);
        model.Compile(new Sgd(0.5), new CategoricalCrossEntropy());
        model.TrainOnBatch(s_x, y);

        var reference = new Sequential([new InputLayer(4), new Dense(3, after)], seed: 5);
        reference.Compile(new Sgd(0.5), new CategoricalCrossEntropy());
        reference.SetWeights(model.GetWeights());

        // TrainOnBatch's loss is a running mean over calls: the reference has made one.
        model.ResetMetrics();
        swapped.Activation = after;
        double loss = model.TrainOnBatch(s_x, y)["loss"];
        double referenceLoss = reference.TrainOnBatch(s_x, y)["loss"];

        Assert.Equal(referenceLoss, loss, 6);
        Assert.Equal(reference.GetWeights().SelectMany(t => t.ToArray()), model.GetWeights().SelectMany(t => t.ToArray()));
    }

    [Fact]
    public void Activation_SharedLayerSetAfterBuild_EveryCallUsesIt()
    {
        static (Functional Model, Dense Shared) Siamese(ActivationFunction activation)
        {
            var a = new Input(new TensorShape(5), "a");
            var b = new Input(new TensorShape(5), "b");
            var shared = new Dense(4, activation, name: "shared");
            SymbolicTensor pair = new Dense(2, ActivationFunction.Softmax, name: "pair").Call(new Concatenate(name: "joined").Call(shared.Call(a), shared.Call(b)));
            return (new Functional([a, b], pair, name: "siamese", seed: 4), shared);
        }

        Tensor xa = Tensor.RandomNormal(new TensorShape(6, 5), seed: 1), xb = Tensor.RandomNormal(new TensorShape(6, 5), seed: 2);
        (Functional model, Dense shared) = Siamese(ActivationFunction.Tanh);
        model.Predict([xa, xb]);
        shared.Activation = ActivationFunction.Relu;
        (Functional reference, _) = Siamese(ActivationFunction.Relu);

        Assert.Equal(reference.Predict([xa, xb]).ToArray(), model.Predict([xa, xb]).ToArray());
    }

    [Fact]
    public void Activation_ConvolutionsAndEinsumDenseSetAfterBuild_ReluOfTheLinearOutputs()
    {
        Tensor sequence = Tensor.RandomNormal(new TensorShape(2, 6, 3), seed: 3);
        Tensor volume = Tensor.RandomNormal(new TensorShape(2, 4, 4, 4, 2), seed: 4);
        var conv1 = new Conv1D(4, 3, activation: ActivationFunction.Sigmoid);
        var conv3 = new Conv3D(3, 2, activation: ActivationFunction.Sigmoid);
        var einsum = new EinsumDense("abc,cd->abd", [6, 5], ActivationFunction.Sigmoid);
        (Sequential Model, Tensor X, Action<ActivationFunction> Set)[] cases =
        [
            (new Sequential([new InputLayer(6, 3), conv1], seed: 1), sequence, f => conv1.Activation = f),
            (new Sequential([new InputLayer(4, 4, 4, 2), conv3], seed: 1), volume, f => conv3.Activation = f),
            (new Sequential([new InputLayer(6, 3), einsum], seed: 1), sequence, f => einsum.Activation = f),
        ];
        foreach ((Sequential model, Tensor x, Action<ActivationFunction> set) in cases)
        {
            Tensor sigmoid = model.Predict(x);
            set(ActivationFunction.Linear);
            float[] linear = model.Predict(x).ToArray();
            set(ActivationFunction.Relu);
            float[] relu = model.Predict(x).ToArray();

            Assert.Equal(linear.Select(v => Math.Max(v, 0f)), relu);
            Assert.Equal(1 / (1 + Math.Exp(-linear[1])), sigmoid.AsReadOnlySpan()[1], 5);
            Assert.Contains(relu, v => v == 0f);
        }
    }
}
