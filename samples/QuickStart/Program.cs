// QuickStart: the Keras "hello world" on MNIST, in C#.
// Run: dotnet run -c Release --project samples/QuickStart   (MNIST is fetched and verified on first run)
using NeuralNet.Activations;
using NeuralNet.Datasets;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Plotting;
using NeuralNet.Training;

int epochs = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 5;

MnistData mnist = Mnist.Load();                                  // (60000, 784) and (10000, 784), scaled to [0, 1]

var model = new Sequential(seed: 42);
model.Add(new InputLayer(784));
model.Add(new Dense(512, ActivationFunction.Relu));
model.Add(new Dense(10, ActivationFunction.Softmax));
model.Compile(new Adam(), new CategoricalCrossEntropy(), new Accuracy());
model.PrintSummary();

History history = model.Fit(mnist.Train.Features, mnist.Train.OneHotLabels(),
    epochs: epochs, batchSize: 128, validationSplit: 0.1);

IReadOnlyDictionary<string, double> test = model.Evaluate(mnist.Test.Features, mnist.Test.OneHotLabels(), verbose: 0);
Console.WriteLine($"Test accuracy: {test["accuracy"]:0.0000}  (loss {test["loss"]:0.0000})");

string curves = Path.Combine("out", "quickstart-curves.png");
TrainingCurves.Save(curves, history.Keys.ToDictionary(k => k, k => history[k]), "QuickStart: 784-512-10 on MNIST");
Console.WriteLine($"Training curves: {Path.GetFullPath(curves)}");
