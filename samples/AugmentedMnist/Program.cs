// AugmentedMnist: Keras' "simple MNIST convnet" with image augmentation inside the model. RandomRotation, RandomZoom and
// RandomTranslation transform every training image afresh each epoch and pass images through untouched at inference,
// so the saved model needs no separate preprocessing.
//   dotnet run -c Release --project samples/AugmentedMnist                 5 epochs on the 60,000 training images
//   dotnet run -c Release --project samples/AugmentedMnist -- --quick      2,048 images, one epoch (what CI runs)
//   ... -- --epochs 3                                                      another number of epochs
//   ... -- --out folder                                                    where the picture goes (out/augmented-mnist by default)
using System.Diagnostics;
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

bool quick = false;
int? epochsArgument = null;
string outFolder = Path.Combine("out", "augmented-mnist");
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--quick":
            quick = true;
            break;
        case "--epochs" when i + 1 < args.Length:
            epochsArgument = int.Parse(args[++i], CultureInfo.InvariantCulture);
            break;
        case "--out" when i + 1 < args.Length:
            outFolder = args[++i];
            break;
        default:
            Console.Error.WriteLine($"Unknown argument '{args[i]}'; expected --quick, --epochs N, --out FOLDER.");
            return 2;
    }
}

int epochs = epochsArgument ?? (quick ? 1 : 5);
const long Seed = 42;

// Images (N, 28, 28, 1) in [0, 1], channels last.
MnistData mnist = Mnist.Load(new MnistOptions { Flatten = false });
LabeledDataset train = quick ? mnist.Train.Take(2048) : mnist.Train;
LabeledDataset test = quick ? mnist.Test.Take(1000) : mnist.Test;
Console.WriteLine($"== MNIST with augmentation layers: {train.Count} training images (a tenth held out for validation), {test.Count} test images, {epochs} epoch(s)");

Sequential model = Build(augment: true);
model.Compile(new Adam(), new CategoricalCrossEntropy(), new Accuracy());
model.PrintSummary();

var clock = Stopwatch.StartNew();
model.Fit(train.Features, train.OneHotLabels(), epochs: epochs, batchSize: 128, validationSplit: 0.1, verbose: 2, seed: Seed);
clock.Stop();
var result = model.Evaluate(test.Features, test.OneHotLabels(), batchSize: 256, verbose: 0);
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"Test accuracy {result["accuracy"]:0.0000} (loss {result["loss"]:0.0000}); {clock.Elapsed.TotalSeconds:0.0} s of training, {clock.Elapsed.TotalSeconds / Math.Max(epochs, 1):0.0} s per epoch"));

// What the network saw in training: the first test digits, and the same digits through the model's own augmentation
// layers in training mode.
Layer[] augmentation = [.. model.Layers.Where(l => l is RandomRotation or RandomZoom or RandomTranslation)];
const int Shown = 8;
Tensor originals = test.Features.Slice(0, Shown).Clone();
Tensor augmented = originals;
foreach (Layer layer in augmentation)
{
    augmented = layer.Forward(augmented, training: true);
}

float[] pixels = [.. augmented.ToArray().Select(v => Math.Clamp(v, 0f, 1f))];   // bilinear blends can pass 1 by a rounding
Tensor grid = Tensor.FromArray([.. originals.ToArray(), .. pixels], 2 * Shown, 28, 28, 1);
int[] labels = [.. test.LabelsToArray()[..Shown], .. test.LabelsToArray()[..Shown]];
string picture = Path.Combine(outFolder, "augmented.png");
ImageGrid.Save(picture, grid, labels, null, Shown, "Test digits (top) and the same digits as training augments them (bottom)");
Console.WriteLine($"Augmented digits: {Path.GetFullPath(picture)}");

// At inference the augmentation layers hand their input on untouched: the same network without them, given the trained
// weights (augmentation layers have none), predicts exactly the same probabilities.
bool passThrough = augmentation.All(layer => ReferenceEquals(layer.Forward(originals, training: false), originals));
Sequential plain = Build(augment: false);
plain.SetWeights(model.GetWeights());
bool same = model.Predict(test.Features, batchSize: 256).AsReadOnlySpan().SequenceEqual(plain.Predict(test.Features, batchSize: 256).AsReadOnlySpan());
Console.WriteLine($"At inference the augmentation layers return their input {(passThrough ? "itself" : "CHANGED")}; predictions with and without them on the {test.Count} test images: {(same ? "identical" : "DIFFERENT")}");
return passThrough && same ? 0 : 1;

// Keras' simple MNIST convnet (keras.io/examples/vision/mnist_convnet), with the augmentation layers first.
static Sequential Build(bool augment)
{
    var model = new Sequential(name: augment ? "augmented_cnn" : "cnn", seed: Seed);
    model.Add(new InputLayer(new TensorShape(28, 28, 1), name: "image"));
    if (augment)
    {
        model.Add(new RandomRotation(0.05));                 // up to ±18°
        model.Add(new RandomZoom(0.1));                      // zoom factor in [0.9, 1.1]
        model.Add(new RandomTranslation(0.1, 0.1));          // up to 2.8 pixels on each axis
    }

    model.Add(new Conv2D(32, 3, activation: ActivationFunction.Relu));
    model.Add(new MaxPooling2D(2));
    model.Add(new Conv2D(64, 3, activation: ActivationFunction.Relu));
    model.Add(new MaxPooling2D(2));
    model.Add(new Flatten());
    model.Add(new Dropout(0.5));
    model.Add(new Dense(10, ActivationFunction.Softmax, name: "digit"));
    return model;
}
