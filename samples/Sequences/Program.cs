// Sequences: recurrent and convolutional layers on real data.
//   dotnet run -c Release --project samples/Sequences                 everything below
//   dotnet run -c Release --project samples/Sequences -- rows         MNIST rows as sequences, LSTM(128), 5 epochs
//   dotnet run -c Release --project samples/Sequences -- chars        character-level text generation with an LSTM (GPL-3 text)
//   ... -- chars --text /usr/share/games/fortunes/literature          another plain-text file (apt-get install fortunes)
//   dotnet run -c Release --project samples/Sequences -- licenses     which license a line comes from: TextVectorization + Conv1D
//   dotnet run -c Release --project samples/Sequences -- digits       strings of 1-4 MNIST digits read by a BiLSTM trained with CTC
//   ... -- --epochs 2                                                 another number of epochs
//   ... -- all --quick                                                small subsets, one or two epochs (what CI runs)
using System.Globalization;
using NeuralNet.Datasets;
using NeuralNet.Samples.Sequences;

string which = "all";
bool quick = false;
int? epochs = null;
string textPath = CharGeneration.DefaultText;
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--quick":
            quick = true;
            break;
        case "--epochs" when i + 1 < args.Length:
            epochs = int.Parse(args[++i], CultureInfo.InvariantCulture);
            break;
        case "--text" when i + 1 < args.Length:
            textPath = args[++i];
            break;
        case "all" or "rows" or "chars" or "licenses" or "digits":
            which = args[i];
            break;
        default:
            Console.Error.WriteLine($"Unknown argument '{args[i]}'; expected all, rows, chars, licenses or digits, and --quick, --epochs N, --text PATH.");
            return 2;
    }
}

MnistData? mnist = null;
if (which is "all" or "rows" or "digits")
{
    mnist = Mnist.Load();
    if (quick)
    {
        mnist = new MnistData(mnist.Train.Take(1024), mnist.Test.Take(512));
    }
}

if (which is "all" or "rows")
{
    MnistRows.Run(mnist!, epochs ?? (quick ? 1 : 5));
}

if (which is "all" or "digits")
{
    DigitStrings.Run(mnist!, quick ? 512 : 20000, quick ? 128 : 2000, epochs ?? (quick ? 1 : 10));
}

if (which is "all" or "chars")
{
    if (!File.Exists(textPath))
    {
        Console.Error.WriteLine($"No text file at {textPath}; give one with --text PATH (any plain-text file, for example after 'apt-get install fortunes': /usr/share/games/fortunes/literature).");
        return 2;
    }

    CharGeneration.Run(textPath, epochs ?? (quick ? 1 : 10), quick ? 6000 : null, quick ? 80 : 300);
}

if (which is "all" or "licenses")
{
    LicenseLines.Run(LicenseLines.DefaultFolder, epochs ?? (quick ? 5 : 10));
}

return 0;
