using NeuralNet.Datasets;
using NeuralNet.Models;
using NeuralNet.Tests.Models;
using NeuralNet.Training;
using Xunit;

namespace NeuralNet.Tests.Training;

// Predict's verbose and output, as Keras' predict(verbose=...) shows them: one step per batch, no metrics.
public class PredictProgressTests
{
    [Fact]
    public void Predict_Verbose1Redirected_WritesKerasFinalLine()
    {
        (Tensor x, _) = ModelTestData.RandomClassification(10, 4, 2, seed: 1);
        Sequential model = ModelTestData.SmallClassifier(4, 2);
        using var output = new StringWriter();
        Tensor predicted = model.Predict(x, batchSize: 3, verbose: 1, output: output);
        // 10 rows in batches of 3: 4 steps, as Keras counts ceil(10 / 3).
        Assert.Matches(@"^4/4 ━{20} \d+s \d+(ms|us|s)/step\n$", output.ToString());
        Assert.Equal(model.Predict(x, batchSize: 3).ToArray(), predicted.ToArray());
    }

    [Fact]
    public void PredictOutputs_Verbose2_WritesCompactLine()
    {
        (Tensor x, _) = ModelTestData.RandomClassification(10, 4, 2, seed: 1);
        Sequential model = ModelTestData.SmallClassifier(4, 2);
        using var output = new StringWriter();
        model.PredictOutputs(x, batchSize: 5, verbose: 2, output: output);
        Assert.Matches(@"^2/2 - \d+s - \d+(ms|us|s)/step\n$", output.ToString());
    }

    [Fact]
    public void Predict_Verbose0_WritesNothing()
    {
        (Tensor x, _) = ModelTestData.RandomClassification(10, 4, 2, seed: 1);
        Sequential model = ModelTestData.SmallClassifier(4, 2);
        using var output = new StringWriter();
        model.Predict(x, output: output);
        model.Predict(x, verbose: 0, output: output);
        model.PredictOutputs(x, verbose: 0, output: output);
        model.Predict(new[] { new DataBatch(x) }, verbose: 0, output: output);
        Assert.Equal(string.Empty, output.ToString());
    }

    [Fact]
    public void Predict_VerboseWithCallbacks_CountsTheCallbackBatches()
    {
        (Tensor x, _) = ModelTestData.RandomClassification(10, 4, 2, seed: 1);
        Sequential model = ModelTestData.SmallClassifier(4, 2);
        int batches = 0;
        using var output = new StringWriter();
        model.Predict(x, batchSize: 4, callbacks: [new LambdaCallback(onPredictBatchEnd: (_, _) => batches++)], verbose: 2, output: output);
        Assert.Equal(3, batches);
        Assert.StartsWith("3/3 - ", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void PredictStream_Verbose2_CountsTheBatchesItRan()
    {
        (Tensor x, _) = ModelTestData.RandomClassification(10, 4, 2, seed: 1);
        Sequential model = ModelTestData.SmallClassifier(4, 2);
        model.Predict(x);
        using var output = new StringWriter();
        Tensor predicted = model.Predict(new[] { new DataBatch(x.Slice(0, 6)), new DataBatch(x.Slice(6, 4)) }, verbose: 2, output: output);
        // A stream's length is unknown until it ends; the final line gives the count it ran.
        Assert.Matches(@"^2/2 - \d+s - \d+(ms|us|s)/step\n$", output.ToString());
        Assert.Equal(model.Predict(x).ToArray(), predicted.ToArray());
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(3)]
    public void Predict_BadVerbose_ThrowsNamingIt(int verbose)
    {
        (Tensor x, _) = ModelTestData.RandomClassification(10, 4, 2, seed: 1);
        Sequential model = ModelTestData.SmallClassifier(4, 2);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => model.Predict(x, verbose: verbose));
        Assert.Equal("verbose", error.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => model.PredictOutputs(x, verbose: verbose));
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Predict(new[] { new DataBatch(x) }, verbose: verbose));
    }
}
