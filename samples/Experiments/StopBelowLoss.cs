using NeuralNet.Training;

namespace NeuralNet.Experiments;

/// <summary>The documents' custom callback: stop training at the end of the first epoch whose training loss is below a threshold.</summary>
internal sealed class StopBelowLoss(double threshold) : Callback
{
    /// <summary>The epoch (1-based) at which training was stopped, if it was.</summary>
    public int? StoppedAfter { get; private set; }

    public override void OnEpochEnd(int epoch, IReadOnlyDictionary<string, double> logs)
    {
        if (logs["loss"] < threshold && Model is not null)
        {
            StoppedAfter = epoch + 1;
            Model.StopTraining = true;
        }
    }
}
