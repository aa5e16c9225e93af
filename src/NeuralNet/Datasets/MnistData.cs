namespace NeuralNet.Datasets;

/// <summary>The MNIST training and test sets, as returned by <see cref="Mnist.Load"/>.</summary>
public sealed class MnistData
{
    /// <summary>Creates the pair.</summary>
    /// <param name="train">The training set.</param>
    /// <param name="test">The test set; same sample shape and class count as <paramref name="train"/>.</param>
    /// <exception cref="ArgumentException">The sample shapes or class counts differ.</exception>
    public MnistData(LabeledDataset train, LabeledDataset test)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(test);
        if (train.SampleShape != test.SampleShape || train.ClassCount != test.ClassCount)
        {
            throw new ArgumentException($"Train samples are {train.SampleShape} with {train.ClassCount} classes but test samples are {test.SampleShape} with {test.ClassCount}; they must match.", nameof(test));
        }

        Train = train;
        Test = test;
    }

    /// <summary>The training set: images (N, 784) or (N, 28, 28, 1) and labels 0..9.</summary>
    public LabeledDataset Train { get; }

    /// <summary>The test set: images (N, 784) or (N, 28, 28, 1) and labels 0..9.</summary>
    public LabeledDataset Test { get; }

    /// <summary>
    /// Pools the training and test images (70,000 for full MNIST) and splits them again at random: the new
    /// training set gets round(total x <paramref name="trainFraction"/>) images, the new test set the rest.
    /// Both are copies; the same seed gives the same split on every runtime.
    /// </summary>
    /// <param name="trainFraction">The fraction for training, in (0, 1); 0.8 for the 80/20 split of experiments E0.1/E0.2.</param>
    /// <param name="seed">The seed of the shuffle.</param>
    /// <returns>A new pair: 56,000 training and 14,000 test images for full MNIST at 0.8.</returns>
    /// <exception cref="ArgumentOutOfRangeException">Either part would be empty.</exception>
    public MnistData Resplit(double trainFraction, long seed)
    {
        (LabeledDataset train, LabeledDataset test) = LabeledDataset.SplitShuffled([Train, Test], trainFraction, seed);
        return new MnistData(train, test);
    }
}
