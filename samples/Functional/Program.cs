// Functional: models that are not a chain, written with Keras' functional API in C#.
//   dotnet run -c Release --project samples/Functional                  both models, full MNIST
//   dotnet run -c Release --project samples/Functional -- residual      the residual CNN (10 epochs, >= 99.3 % test accuracy)
//   dotnet run -c Release --project samples/Functional -- pairs         the two-input model with a shared encoder
//   ... -- all --quick                                                  a few hundred images, one epoch (what CI runs)
using System.Globalization;
using NeuralNet.Datasets;
using NeuralNet.Samples.GraphModels;

string which = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? "all";
bool quick = args.Contains("--quick");
int? epochs = args.SkipWhile(a => a != "--epochs").Skip(1).Select(a => (int?)int.Parse(a, CultureInfo.InvariantCulture)).FirstOrDefault();
if (which is not ("all" or "residual" or "pairs"))
{
    Console.Error.WriteLine($"Unknown model '{which}'; expected all, residual or pairs.");
    return 2;
}

MnistData mnist = Mnist.Load();
if (quick)
{
    mnist = new MnistData(mnist.Train.Take(512), mnist.Test.Take(256));
}

if (which is "all" or "pairs")
{
    PairModel.Run(mnist, epochs ?? (quick ? 1 : 5));
}

if (which is "all" or "residual")
{
    ResidualCnn.Run(mnist, epochs ?? (quick ? 1 : 10));
}

return 0;
