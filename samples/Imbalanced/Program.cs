// Imbalanced classification: is this digit a 3? Threes are made rare in the training set (1 in 10 kept, about 1 % of
// the images), as fraud or defects are rare in real data. The same network is trained twice, without and with
// Keras' class weights, reporting precision, recall and AUC every epoch; the weighted model's ROC curve on the test
// set is saved as a PNG.
//   dotnet run -c Release --project samples/Imbalanced                   5 epochs, out/imbalanced/roc.png
//   dotnet run -c Release --project samples/Imbalanced -- --quick        a few thousand images, one epoch (what CI runs)
//   ... -- --out folder                                                   where the plot goes
using System.Globalization;
using NeuralNet;
using NeuralNet.Activations;
using NeuralNet.Datasets;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Plotting;
using NeuralNet.Training;

const int Digit = 3;
bool quick = args.Contains("--quick");
int epochs = quick ? 1 : 5;
string outFolder = args.SkipWhile(a => a != "--out").Skip(1).FirstOrDefault() ?? Path.Combine("out", "imbalanced");

MnistData mnist = Mnist.Load();
LabeledDataset trainSet = quick ? mnist.Train.Take(6000) : mnist.Train;
LabeledDataset testSet = quick ? mnist.Test.Take(2000) : mnist.Test;

// Keep every other digit and one three in ten: the positive class becomes about 1 % of the training set.
var keep = new List<int>();
int threesSeen = 0;
for (int i = 0; i < trainSet.Count; i++)
{
    if (trainSet.Labels[i] != Digit || threesSeen++ % 10 == 0)
    {
        keep.Add(i);
    }
}

(Tensor xTrain, Tensor yTrain) = IsDigit(trainSet, keep);
(Tensor xTest, Tensor yTest) = IsDigit(testSet, [.. Enumerable.Range(0, testSet.Count)]);
int positives = (int)yTrain.AsReadOnlySpan().ToArray().Sum();
int negatives = keep.Count - positives;
Console.WriteLine($"== Is it a {Digit}? {keep.Count} training images, {positives} of them positive ({100.0 * positives / keep.Count:0.00} %); {testSet.Count} test images");

// Keras' tutorial weights (imbalanced_classification): each class contributes as if the classes were balanced.
var classWeight = new Dictionary<int, float>
{
    [0] = (float)(keep.Count / (2.0 * negatives)),
    [1] = (float)(keep.Count / (2.0 * positives)),
};
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"class weights: 0 -> {classWeight[0]:0.000}, 1 -> {classWeight[1]:0.000}"));

var results = new List<(string Name, IReadOnlyDictionary<string, double> Test, Auc Auc)>();
foreach (bool weighted in new[] { false, true })
{
    string name = weighted ? "with class weights" : "without class weights";
    Console.WriteLine($"-- {name}");
    var auc = new Auc();
    Sequential model = Build();
    model.Compile(new Adam(0.001f), new BinaryCrossEntropy(), new Precision(), new Recall(), auc);
    model.Fit(xTrain, yTrain, epochs: epochs, batchSize: 128, verbose: 2, classWeight: weighted ? classWeight : null, seed: 7);
    IReadOnlyDictionary<string, double> test = model.Evaluate(xTest, yTest, batchSize: 512, verbose: 0);
    results.Add((name, test, auc));
}

Console.WriteLine();
Console.WriteLine($"test set ({(int)yTest.AsReadOnlySpan().ToArray().Sum()} threes among {testSet.Count}):");
foreach (var (name, test, _) in results)
{
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {name,-22} precision {test["precision"]:0.0000}  recall {test["recall"]:0.0000}  AUC {test["auc"]:0.0000}"));
}

// The metric keeps the counts of the last Evaluate, the test set: its ROC points are the curve whose area it reported.
var (_, weightedTest, weightedAuc) = results[1];
var (fpr, tpr) = weightedAuc.RocCurve();
string plot = Path.Combine(outFolder, "roc.png");
RocCurvePlot.Save(plot, fpr, tpr, $"Is it a {Digit}? ROC on the test set, class-weighted model", weightedTest["auc"]);
Console.WriteLine($"ROC curve: {plot}");
return 0;

static Sequential Build()
{
    var model = new Sequential(name: "is_it_a_three", seed: 42);
    model.Add(new InputLayer(784));
    model.Add(new Dense(64, ActivationFunction.Relu));
    model.Add(new Dropout(0.3));
    model.Add(new Dense(1, ActivationFunction.Sigmoid));
    return model;
}

// Images flattened to 784 values and a 0/1 target per image, for the chosen indices.
static (Tensor X, Tensor Y) IsDigit(LabeledDataset data, List<int> indices)
{
    int pixels = data.Features.Length / data.Count;
    var x = new Tensor(indices.Count, pixels);
    var y = new Tensor(indices.Count, 1);
    ReadOnlySpan<float> source = data.Features.AsReadOnlySpan();
    for (int r = 0; r < indices.Count; r++)
    {
        source.Slice(indices[r] * pixels, pixels).CopyTo(x.AsSpan().Slice(r * pixels, pixels));
        y.AsSpan()[r] = data.Labels[indices[r]] == Digit ? 1 : 0;
    }

    return (x, y);
}
