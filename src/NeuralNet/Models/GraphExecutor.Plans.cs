using NeuralNet.Layers;

namespace NeuralNet.Models;

// The backward plan (PlanBackward) is kept for each input-gradient choice: Fit with validation data on a model that
// computes input gradients (Model.ComputesInputGradients) alternates between training steps, planned without them, and
// validation passes, planned with them (a Backward after an Evaluate reads them), and switching back to a kept plan costs
// a copy instead of a new plan. A kept plan is the one PlanBackward made for the same trainability (the same stamp), so
// using it runs exactly what planning again would.
internal sealed partial class GraphExecutor
{
    // The kept plans, [0] without input gradients and [1] with them; null until that choice is first planned.
    private readonly KeptPlan?[] _keptPlans = new KeptPlan?[2];

    /// <summary>How many times this executor has planned its backward pass (for tests: a kept plan used again is not counted).</summary>
    internal int PlansMade { get; private set; }

    // Makes the current plan the one for inputGradients and the layers' trainability now: nothing to do when it is already,
    // the kept plan of that choice when it was made for the same trainability, else a new plan.
    private void UsePlan(bool inputGradients)
    {
        long stamp = TrainabilityStamp();
        if (_plannedTrainability == stamp && _inputGradientsPlanned == inputGradients)
        {
            return;
        }

        if (_keptPlans[inputGradients ? 1 : 0] is KeptPlan kept && kept.Trainability == stamp)
        {
            RestorePlan(kept, inputGradients);
            return;
        }

        PlanBackward(inputGradients);
    }

    // The end of PlanBackward: what it decided, copied into the kept plan of its choice (the arrays made once per choice).
    private void KeepPlan()
    {
        KeptPlan kept = _keptPlans[_inputGradientsPlanned ? 1 : 0] ??= new KeptPlan(_requiresGradient.Length, _steps.Length);
        kept.Trainability = _plannedTrainability;
        _requiresGradient.CopyTo(kept.RequiresGradient, 0);
        _trainableUpstream.CopyTo(kept.TrainableUpstream, 0);
        kept.Lacks = _lacksInputGradient;
        kept.LacksBecause = _lacksInputGradientBecause;
        for (int i = 0; i < _steps.Length; i++)
        {
            Step step = _steps[i];
            kept.NeedsInputGradient[i] = step.NeedsInputGradient;
            kept.HasParameters[i] = step.HasParameters;
            kept.PooledBy[i] = step.PooledBy;
            kept.PooledFrom[i] = step.PooledFrom;
        }
    }

    // What PlanBackward(inputGradients) sets, from a plan it made for the same trainability.
    private void RestorePlan(KeptPlan kept, bool inputGradients)
    {
        _plannedTrainability = kept.Trainability;
        _inputGradientsPlanned = inputGradients;
        _inputGradientsReady = false;
        kept.RequiresGradient.CopyTo(_requiresGradient, 0);
        kept.TrainableUpstream.CopyTo(_trainableUpstream, 0);
        _lacksInputGradient = kept.Lacks;
        _lacksInputGradientBecause = kept.LacksBecause;
        for (int i = 0; i < _steps.Length; i++)
        {
            Step step = _steps[i];
            step.Instance.ComputesInputGradient = kept.NeedsInputGradient[i];
            step.NeedsInputGradient = kept.NeedsInputGradient[i];
            step.HasParameters = kept.HasParameters[i];
            step.PooledBy = kept.PooledBy[i];
            step.PooledFrom = kept.PooledFrom[i];
            step.RanPooled = false;
            step.PooledGradient = null;
        }
    }

    // One choice's plan: the slots' and the steps' decisions of PlanBackward, and the trainability stamp they were made at.
    private sealed class KeptPlan(int slots, int steps)
    {
        public long Trainability { get; set; }

        public bool[] RequiresGradient { get; } = new bool[slots];

        public Layer?[] TrainableUpstream { get; } = new Layer?[slots];

        public Step? Lacks { get; set; }

        public Layer? LacksBecause { get; set; }

        public bool[] NeedsInputGradient { get; } = new bool[steps];

        public bool[] HasParameters { get; } = new bool[steps];

        public Step?[] PooledBy { get; } = new Step?[steps];

        public Step?[] PooledFrom { get; } = new Step?[steps];
    }
}
