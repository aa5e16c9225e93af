using Xunit;

namespace NeuralNet.Samples.DigitServer.Tests;

/// <summary>The tests that share <see cref="DigitServerFixture"/>; they run one class at a time.</summary>
[CollectionDefinition(Name)]
public sealed class DigitServerCollection : ICollectionFixture<DigitServerFixture>
{
    public const string Name = "DigitServer";
}
