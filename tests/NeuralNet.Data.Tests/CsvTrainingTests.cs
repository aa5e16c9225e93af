using System.Globalization;
using System.Text;
using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Training;
using Xunit;

namespace NeuralNet.Data.Tests;

public class CsvTrainingTests
{
    /// <summary>An Iris-like table: four measurements around a per-species centre, the species as text in the last column.</summary>
    private static string IrisLike(int perClass, int seed)
    {
        string[] species = ["setosa", "versicolor", "virginica"];
        float[][] centres = [[5.0f, 3.4f, 1.5f, 0.2f], [5.9f, 2.8f, 4.3f, 1.3f], [6.6f, 3.0f, 5.6f, 2.0f]];
        var random = new Random(seed);
        var text = new StringBuilder("sepal_length,sepal_width,petal_length,petal_width,species\n");
        for (int i = 0; i < perClass; i++)
        {
            for (int s = 0; s < species.Length; s++)
            {
                foreach (float centre in centres[s])
                {
                    text.Append((centre + ((random.NextSingle() - 0.5f) * 0.6f)).ToString("0.00", CultureInfo.InvariantCulture)).Append(',');
                }

                text.Append(species[s]).Append('\n');
            }
        }

        return text.ToString();
    }

    [Fact]
    public void Fit_IrisLikeCsv_DenseNetworkLearnsTheSpecies()
    {
        using var folder = new TempFolder();
        string path = folder.WriteText("iris.csv", IrisLike(50, seed: 3));
        var (x, y) = CsvTable.Read(path, new CsvReadOptions { LabelColumns = ["species"], CategoricalColumns = ["species"] });
        Assert.Equal(new TensorShape(150, 4), x.Shape);
        Assert.Equal(new TensorShape(150, 1), y!.Shape);

        var model = new Sequential([new InputLayer(4), new Dense(16, ActivationFunction.Relu), new Dense(3, ActivationFunction.Softmax)], seed: 1);
        model.Compile(new Adam(0.05f), new SparseCategoricalCrossEntropy(), new SparseCategoricalAccuracy());
        History history = model.Fit(x, y, epochs: 40, batchSize: 16, verbose: 0, seed: 1);

        IReadOnlyDictionary<string, double> logs = model.Evaluate(x, y, verbose: 0);
        Assert.True(logs["sparse_categorical_accuracy"] >= 0.95, $"accuracy {logs["sparse_categorical_accuracy"]}");
        Assert.True(history["loss"][^1] < history["loss"][0] / 4, $"loss {history["loss"][0]} -> {history["loss"][^1]}");
    }

    [Fact]
    public void Fit_ChunksOfACsvFile_TrainsPieceByPiece()
    {
        using var folder = new TempFolder();
        string path = folder.WriteText("iris.csv", IrisLike(50, seed: 4));
        var options = new CsvReadOptions { LabelColumns = ["species"], CategoricalColumns = ["species"], LabelEncoding = CategoricalEncoding.OneHot };
        var model = new Sequential([new InputLayer(4), new Dense(16, ActivationFunction.Relu), new Dense(3, ActivationFunction.Softmax)], seed: 1);
        model.Compile(new Adam(0.05f), new CategoricalCrossEntropy(), new CategoricalAccuracy());

        for (int epoch = 0; epoch < 40; epoch++)
        {
            foreach (var (x, y) in CsvTable.ReadChunks(path, 30, options))
            {
                model.Fit(x, y!, epochs: 1, batchSize: 10, verbose: 0, seed: epoch);
            }
        }

        var (allX, allY) = CsvTable.Read(path, options);
        Assert.True(model.Evaluate(allX, allY!, verbose: 0)["categorical_accuracy"] >= 0.95);
    }
}
