// Transformers: a Vision Transformer and a denoising convolutional autoencoder on MNIST.
//   dotnet run -c Release --project samples/Transformers                  both, full MNIST (about 12 minutes on 2 shared cores)
//   dotnet run -c Release --project samples/Transformers -- vit           the Vision Transformer (>= 97.5 % test accuracy)
//   dotnet run -c Release --project samples/Transformers -- autoencoder   the denoising autoencoder; writes denoising.png
//   ... -- --out DIR                                                      the folder for the picture (default: out)
//   ... -- --epochs N                                                     another number of epochs
//   ... -- all --quick                                                    a small subset, one epoch (what CI runs)
using System.Globalization;
using NeuralNet.Datasets;
using NeuralNet.Samples.Transformers;

string which = "all";
bool quick = false;
int? epochs = null;
string outFolder = "out";
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
        case "--out" when i + 1 < args.Length:
            outFolder = args[++i];
            break;
        case "all" or "vit" or "autoencoder":
            which = args[i];
            break;
        default:
            Console.Error.WriteLine($"Unknown argument '{args[i]}'; expected all, vit or autoencoder, and --quick, --epochs N, --out DIR.");
            return 2;
    }
}

MnistData mnist = Mnist.Load();
if (quick)
{
    mnist = new MnistData(mnist.Train.Take(1024), mnist.Test.Take(512));
}

if (which is "all" or "vit")
{
    VisionTransformer.Run(mnist, epochs ?? (quick ? 1 : 8));
}

if (which is "all" or "autoencoder")
{
    DenoisingAutoencoder.Run(mnist, epochs ?? (quick ? 1 : 3), outFolder);
}

return 0;
