// Sequences: recurrent layers on real data.
//   dotnet run -c Release --project samples/Sequences                 MNIST rows as sequences, LSTM(128), 5 epochs
//   dotnet run -c Release --project samples/Sequences -- --epochs 2
//   ... -- --quick                                                    a few hundred images, one epoch (what CI runs)
using System.Globalization;
using NeuralNet.Datasets;
using NeuralNet.Samples.Sequences;

bool quick = args.Contains("--quick");
int epochs = args.SkipWhile(a => a != "--epochs").Skip(1).Select(a => int.Parse(a, CultureInfo.InvariantCulture)).FirstOrDefault(quick ? 1 : 5);

MnistData mnist = Mnist.Load();
if (quick)
{
    mnist = new MnistData(mnist.Train.Take(1024), mnist.Test.Take(512));
}

MnistRows.Run(mnist, epochs);
return 0;
