using BenchmarkDotNet.Running;
using NeuralNet.Benchmarks;

if (args.Length > 0 && args[0] == "gemm-quick")
{
    GemmQuick.Run(args[1..]);
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
