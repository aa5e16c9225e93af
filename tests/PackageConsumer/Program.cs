// Package consumer check: uses only the public API of the NeuralNet package, restored from a local folder feed.
// Two Gaussian blobs in 2-D, one-hot targets, a 2-16-2 network trained with Adam; exits 1 unless accuracy >= 0.95.
using NeuralNet;
using NeuralNet.Activations;
using NeuralNet.Keras;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Onnx;
using NeuralNet.Optimizers;
using NeuralNet.Training;

const int Samples = 1000;
var points = Tensor.RandomNormal(new TensorShape(Samples, 2), seed: 7, mean: 0f, standardDeviation: 0.6f);
var targets = new Tensor(Samples, 2);
for (int i = 0; i < Samples; i++)
{
    int label = i % 2;
    float centre = label == 0 ? -1.5f : 1.5f;
    points[i, 0] += centre;
    points[i, 1] += centre;
    targets[i, label] = 1f;
}

var model = new Sequential(
[
    new InputLayer(2),
    new Dense(16, ActivationFunction.Relu),
    new Dense(2, ActivationFunction.Softmax),
], seed: 42);
model.Compile(new Adam(0.01f), new CategoricalCrossEntropy(), new Accuracy());
// The optional TensorBoard package restores with its Google.Protobuf dependency and logs the run.
string boardFolder = Path.Combine(Path.GetTempPath(), "neuralnet-consumer-tensorboard-" + Guid.NewGuid().ToString("N"));
var board = new TensorBoard(boardFolder);
History history = model.Fit(points, targets, epochs: 10, batchSize: 32, verbose: 0, callbacks: [board]);
long boardBytes = board.TrainFile is string events && File.Exists(events) ? new FileInfo(events).Length : 0;
Directory.Delete(boardFolder, recursive: true);

Tensor probabilities = model.Predict(points);
int correct = 0;
for (int i = 0; i < Samples; i++)
{
    int predicted = probabilities[i, 1] > probabilities[i, 0] ? 1 : 0;
    if (predicted == i % 2)
    {
        correct++;
    }
}

double accuracy = (double)correct / Samples;
Console.WriteLine($"NeuralNet package consumer: {history.EpochCount} epochs, accuracy {accuracy:F3} on {Samples} samples");
if (accuracy < 0.95)
{
    Console.Error.WriteLine("FAILED: accuracy below 0.95");
    return 1;
}

// The optional ONNX package restores with its Google.Protobuf dependency and writes the same file twice.
string onnx = Path.Combine(Path.GetTempPath(), $"neuralnet-consumer-{Environment.ProcessId}.onnx");
model.ExportOnnx(onnx);
byte[] written = File.ReadAllBytes(onnx);
File.Delete(onnx);
if (written.Length < 100 || written[0] != 0x08 || !written.AsSpan().SequenceEqual(model.ToOnnxBytes()))
{
    Console.Error.WriteLine($"FAILED: the ONNX export wrote {written.Length} bytes that do not start with ir_version or differ from ToOnnxBytes");
    return 1;
}

Console.WriteLine($"ONNX export: {written.Length} bytes");

// The optional Keras package restores with its PureHDF dependency: a .keras archive written and read back predicts the same.
string keras = Path.Combine(Path.GetTempPath(), $"neuralnet-consumer-{Environment.ProcessId}.keras");
Model reloaded;
long kerasBytes;
try
{
    KerasFormat.SaveModel(model, keras);
    reloaded = KerasFormat.LoadModel(keras);
    kerasBytes = new FileInfo(keras).Length;
}
finally
{
    File.Delete(keras);
}

if (!reloaded.Predict(points).AsReadOnlySpan().SequenceEqual(model.Predict(points).AsReadOnlySpan()))
{
    Console.Error.WriteLine("FAILED: the model read back from its .keras archive predicts differently");
    return 1;
}

Console.WriteLine($"Keras archive: {kerasBytes} bytes, same predictions");

// Ten epochs of epoch_loss, epoch_accuracy and epoch_learning_rate after the version record: well over 1 KB.
if (boardBytes < 1000)
{
    Console.Error.WriteLine($"FAILED: the TensorBoard callback wrote {boardBytes} bytes of events");
    return 1;
}

Console.WriteLine($"TensorBoard: {boardBytes} bytes of events");
Console.WriteLine("OK");
return 0;
