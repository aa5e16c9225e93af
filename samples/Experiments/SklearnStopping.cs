using NeuralNet.Training;

namespace NeuralNet.Experiments;

/// <summary>
/// scikit-learn's stopping rule for <c>MLPClassifier</c> without a validation set (<c>early_stopping=False</c>), on
/// the training loss: an epoch does not improve when its loss is above the best so far minus <c>tol</c>; the best
/// follows every decrease, even one smaller than <c>tol</c>; training stops when more than <c>n_iter_no_change</c>
/// epochs in a row did not improve (<c>_update_no_improvement_count</c> and the check after it in
/// <c>_fit_stochastic</c>).
/// </summary>
/// <remarks>
/// Keras' <see cref="EarlyStopping"/> differs twice: its best moves only on an improvement larger than
/// <c>min_delta</c>, and it stops once <c>patience</c> epochs did not improve, one epoch earlier. Replayed on the loss
/// log of E0.2's document, Keras' rule would stop one epoch before scikit-learn did.
/// </remarks>
internal sealed class SklearnStopping(double tol = 1e-4, int iterationsNoChange = 10) : Callback
{
    private double _best;
    private int _noImprovement;

    /// <summary>The epoch (1-based) after which training was stopped, if it was.</summary>
    public int? StoppedAfter { get; private set; }

    /// <summary>The epoch (1-based) after which the rule stops on <paramref name="losses"/>, or null if it never does.</summary>
    public int? Replay(IEnumerable<double> losses)
    {
        Reset();
        int epoch = 0;
        foreach (double loss in losses)
        {
            epoch++;
            if (Stops(loss))
            {
                return epoch;
            }
        }

        return null;
    }

    public override void OnTrainBegin(IReadOnlyDictionary<string, double> logs)
    {
        Reset();
        StoppedAfter = null;
    }

    public override void OnEpochEnd(int epoch, IReadOnlyDictionary<string, double> logs)
    {
        if (Stops(logs["loss"]) && Model is not null)
        {
            StoppedAfter = epoch + 1;
            Model.StopTraining = true;
        }
    }

    private void Reset()
    {
        _best = double.PositiveInfinity;
        _noImprovement = 0;
    }

    private bool Stops(double loss)
    {
        _noImprovement = loss > _best - tol ? _noImprovement + 1 : 0;
        if (loss < _best)
        {
            _best = loss;
        }

        return _noImprovement > iterationsNoChange;
    }
}
