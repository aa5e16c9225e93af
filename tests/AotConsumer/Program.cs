// Native AOT consumer check (eng/run-aot-consumer.sh): one workload, run both as a JIT app and as the Native AOT
// executable published from this project, using only the public API of the packed NeuralNet package.
// A 784-512-10 MLP (ReLU, softmax) trained with Adam on synthetic data, then Predict of one sample at a time.
// Prints which SIMD paths the process sees, the median time of a training step and of a single-sample Predict,
// and a SHA-256 of the trained weights and of the predictions (the two builds must print the same hash).
// Usage: AotConsumer [trainSteps] [predictCalls] [warmupSteps]   (defaults 300, 2000, 200)
using System.Diagnostics;
using System.Numerics;
using System.Runtime;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Security.Cryptography;
using NeuralNet;
using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;

int trainSteps = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 300;
int predictCalls = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 2000;
int warmupSteps = args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 200;
const int Features = 784, Classes = 10, BatchSize = 32, Batches = 16, WarmupPredicts = 300;

// One thread: every product here is below the library's two-thread threshold anyway, and a single thread keeps the
// timings of the two builds comparable on a shared machine. (The bits do not depend on the thread count.)
Parallelism.MaxDegreeOfParallelism = 1;

// PublishAot turns RuntimeFeature.IsDynamicCodeCompiled off in the JIT build too; JitInfo counts only what a JIT compiled.
Console.WriteLine($"runtime: {(JitInfo.GetCompiledMethodCount() > 0 ? "jit" : "aot")}, {RuntimeInformation.ProcessArchitecture}");
Console.WriteLine($"simd: Vector512.IsHardwareAccelerated={Vector512.IsHardwareAccelerated} Vector256.IsHardwareAccelerated={Vector256.IsHardwareAccelerated} " +
    $"Avx512F.IsSupported={Avx512F.IsSupported} Avx2.IsSupported={Avx2.IsSupported} Fma.IsSupported={Fma.IsSupported} Vector<float>.Count={Vector<float>.Count}");

// Synthetic data: uniform pixels, labels from a fixed random linear teacher (plain loops, not the library's kernels).
var xs = new Tensor[Batches];
var ys = new Tensor[Batches];
Tensor teacher = Tensor.RandomNormal(new TensorShape(Features, Classes), seed: 2);
for (int b = 0; b < Batches; b++)
{
    xs[b] = Tensor.RandomUniform(new TensorShape(BatchSize, Features), seed: 100 + b);
    ys[b] = new Tensor(BatchSize, Classes);
    for (int i = 0; i < BatchSize; i++)
    {
        int best = 0;
        float bestScore = float.NegativeInfinity;
        for (int c = 0; c < Classes; c++)
        {
            float score = 0f;
            for (int f = 0; f < Features; f++)
            {
                score += (xs[b][i, f] - 0.5f) * teacher[f, c];
            }

            if (score > bestScore)
            {
                bestScore = score;
                best = c;
            }
        }

        ys[b][i, best] = 1f;
    }
}

var model = new Sequential(
[
    new InputLayer(Features),
    new Dense(512, ActivationFunction.Relu),
    new Dense(Classes, ActivationFunction.Softmax),
], seed: 42);
model.Compile(new Adam(), new CategoricalCrossEntropy());

// Training: the first steps warm the process up (the JIT's tiers), the next are timed one by one. (More warm-up steps
// did not make the JIT's steps faster here: medians after 1,000 or 3,000 were no lower than after 60.)
double firstLoss = 0, lastLoss = 0;
var stepTimes = new double[trainSteps];
for (int step = 0; step < warmupSteps + trainSteps; step++)
{
    long start = Stopwatch.GetTimestamp();
    IReadOnlyDictionary<string, double> logs = model.TrainOnBatch(xs[step % Batches], ys[step % Batches]);
    double elapsed = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    if (step >= warmupSteps)
    {
        stepTimes[step - warmupSteps] = elapsed;
    }

    firstLoss = step == 0 ? logs["loss"] : firstLoss;
    lastLoss = logs["loss"];
}

// Single-sample Predict, as an app serving one request at a time would call it.
Tensor sample = new(1, Features);
var predictTimes = new double[predictCalls];
float checksum = 0f;
for (int call = 0; call < WarmupPredicts + predictCalls; call++)
{
    xs[call % Batches].AsSpan().Slice((call / Batches % BatchSize) * Features, Features).CopyTo(sample.AsSpan());
    long start = Stopwatch.GetTimestamp();
    Tensor probabilities = model.Predict(sample);
    double elapsed = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
    checksum += probabilities[0, call % Classes];
    if (call >= WarmupPredicts)
    {
        predictTimes[call - WarmupPredicts] = elapsed;
    }
}

// The hash covers every weight after training and the predictions for all training rows (batched Predict).
using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
foreach (Tensor weight in model.GetWeights())
{
    sha.AppendData(MemoryMarshal.AsBytes<float>(weight.AsSpan()));
}

foreach (Tensor x in xs)
{
    sha.AppendData(MemoryMarshal.AsBytes<float>(model.Predict(x).AsSpan()));
}

string hash = Convert.ToHexString(sha.GetHashAndReset()).ToLowerInvariant();
Console.WriteLine($"loss: {firstLoss:F4} -> {lastLoss:F4} after {warmupSteps + trainSteps} Adam steps of {BatchSize}");
Console.WriteLine(FormattableString.Invariant($"train_step_ms: {Median(stepTimes):F4}"));
Console.WriteLine(FormattableString.Invariant($"predict_us: {Median(predictTimes):F2}"));
Console.WriteLine($"hash: {hash}");
if (!(lastLoss < firstLoss) || !float.IsFinite(checksum))
{
    Console.Error.WriteLine($"FAILED: the loss did not fall ({firstLoss} -> {lastLoss}) or the predictions are not finite");
    return 1;
}

return 0;

static double Median(double[] values)
{
    double[] sorted = (double[])values.Clone();
    Array.Sort(sorted);
    int middle = sorted.Length / 2;
    return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
