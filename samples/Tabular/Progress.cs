using System.Globalization;
using NeuralNet.Models;
using NeuralNet.Training;

namespace NeuralNet.Samples.Tabular;

/// <summary>Short training logs: one line every few epochs instead of one per epoch, and where early stopping ended.</summary>
internal static class Progress
{
    /// <summary>A callback printing the first epoch and every <paramref name="n"/>-th one with all its logs.</summary>
    public static LambdaCallback EveryNthEpoch(int n) => new(onEpochEnd: (epoch, logs) =>
    {
        if (epoch == 0 || (epoch + 1) % n == 0)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  epoch {epoch + 1,4}: {string.Join("  ", logs.Select(p => $"{p.Key} {p.Value:0.0000}"))}"));
        }
    });

    /// <summary>Prints how many epochs ran and which one's weights the model kept.</summary>
    public static void Stopped(History history, EarlyStopping stop)
    {
        string kept = stop.RestoreBestWeights && stop.Best is double best
            ? string.Create(CultureInfo.InvariantCulture, $"; weights of epoch {stop.BestEpoch + 1} restored ({stop.Monitor} {best:0.0000})")
            : string.Empty;
        string how = stop.StoppedEpoch >= 0 ? "Stopped early after" : "Trained for all";
        Console.WriteLine($"{how} {history.EpochCount} epochs{kept}");
    }
}
