// OnnxExport: train the MNIST CNN, export it to ONNX, run the file in ONNX Runtime, import it back, and compare.
//   dotnet run -c Release --project samples/OnnxExport                 3 epochs on all of MNIST, writes out/mnist_cnn.onnx
//   dotnet run -c Release --project samples/OnnxExport -- --epochs 5
//   ... -- --quick                                                     2,000 images, one epoch (what CI runs)
using System.Globalization;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using NeuralNet;
using NeuralNet.Datasets;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Onnx;
using NeuralNet.Optimizers;
using NeuralNet.Samples.Onnx;
using NeuralNet.Training;
using Tensor = NeuralNet.Tensor;

bool quick = args.Contains("--quick");
int epochs = args.SkipWhile(a => a != "--epochs").Skip(1).Select(a => int.Parse(a, CultureInfo.InvariantCulture)).FirstOrDefault(quick ? 1 : 3);

MnistData mnist = Mnist.Load();
if (quick)
{
    mnist = new MnistData(mnist.Train.Take(2000), mnist.Test.Take(1000));
}

Tensor trainImages = mnist.Train.Features.Reshape(mnist.Train.Count, 28, 28, 1);
Tensor testImages = mnist.Test.Features.Reshape(mnist.Test.Count, 28, 28, 1);

Sequential model = MnistCnn.Build();
model.Compile(new Adam(), new CategoricalCrossEntropy(), new Accuracy());
model.Fit(trainImages, mnist.Train.OneHotLabels(), epochs: epochs, batchSize: 128, verbose: 2);

// Export: opset 17 unless chosen; the previous file stays intact if anything fails.
string path = Path.Combine("out", "mnist_cnn.onnx");
Directory.CreateDirectory("out");
model.ExportOnnx(path, new OnnxExportOptions { ModelVersion = 1, Description = "MNIST digits, 28x28x1 images scaled to [0, 1]" });
Console.WriteLine($"Exported {Path.GetFullPath(path)} ({new FileInfo(path).Length:N0} bytes)");

// The same test images through NeuralNet and through ONNX Runtime.
Tensor expected = model.Predict(testImages, batchSize: 256);
using var session = new InferenceSession(path);
string input = session.InputMetadata.Keys.Single();
var feed = new DenseTensor<float>(testImages.AsReadOnlySpan().ToArray(), [mnist.Test.Count, 28, 28, 1]);
using IDisposableReadOnlyCollection<DisposableNamedOnnxValue> results = session.Run(new List<NamedOnnxValue> { NamedOnnxValue.CreateFromTensor(input, feed) });
float[] actual = results.Single().AsTensor<float>().ToArray();

ReadOnlySpan<float> predicted = expected.AsReadOnlySpan();
float largest = 0;
for (int i = 0; i < actual.Length; i++)
{
    largest = Math.Max(largest, Math.Abs(actual[i] - predicted[i]));
}

double neuralNetAccuracy = Accuracy(predicted, mnist.Test.Labels);
double onnxAccuracy = Accuracy(actual, mnist.Test.Labels);
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"Test accuracy: NeuralNet {neuralNetAccuracy:0.0000}, ONNX Runtime {onnxAccuracy:0.0000}; largest difference between their probabilities {largest:0.###e+0} on {mnist.Test.Count} images"));

// The exported file must give what Predict gives: CI runs this sample and fails on a mismatch.
if (neuralNetAccuracy != onnxAccuracy || largest > 1e-5f)
{
    Console.Error.WriteLine("ONNX Runtime's results differ from NeuralNet's beyond 1e-5.");
    return 1;
}

// And back: the file imported into a NeuralNet model (as a PyTorch or TensorFlow export would be) predicts the same.
Functional imported = OnnxImporter.Import(path);
ReadOnlySpan<float> reimported = imported.Predict(testImages, batchSize: 256).AsReadOnlySpan();
float importDifference = 0;
for (int i = 0; i < reimported.Length; i++)
{
    importDifference = Math.Max(importDifference, Math.Abs(reimported[i] - predicted[i]));
}

Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"Imported back with OnnxImporter: {imported.Layers.Count} layers, test accuracy {Accuracy(reimported, mnist.Test.Labels):0.0000}, largest difference from the trained model {importDifference:0.###e+0}"));
if (importDifference > 1e-5f)
{
    Console.Error.WriteLine("The imported model's predictions differ from the trained model's beyond 1e-5.");
    return 1;
}

return 0;

static double Accuracy(ReadOnlySpan<float> probabilities, ReadOnlySpan<int> labels)
{
    int correct = 0;
    for (int n = 0; n < labels.Length; n++)
    {
        ReadOnlySpan<float> row = probabilities.Slice(n * 10, 10);
        int best = 0;
        for (int c = 1; c < 10; c++)
        {
            best = row[c] > row[best] ? c : best;
        }

        correct += best == labels[n] ? 1 : 0;
    }

    return (double)correct / labels.Length;
}
