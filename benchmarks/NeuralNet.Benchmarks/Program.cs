using BenchmarkDotNet.Running;
using NeuralNet.Benchmarks;

if (args.Length > 0 && args[0] == "gemm-quick")
{
    GemmQuick.Run(args[1..]);
    return;
}

if (args.Length > 0 && args[0] == "machine-jitter")
{
    MachineJitter.Run(args[1..]);
    return;
}

#if !NEURALNET_BASELINE
if (args.Length > 0 && args[0] == "block-split")
{
    TransformerBlockBenchmarks.Split(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 40);
    return;
}
#endif

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
