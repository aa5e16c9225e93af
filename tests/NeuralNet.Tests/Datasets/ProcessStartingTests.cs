using Xunit;

namespace NeuralNet.Tests.Datasets;

/// <summary>
/// Tests that start child processes run alone, after the parallel ones: a child process inherits the open files of the
/// test process for the instant between fork and exec, and with them the advisory lock of a model file another test is
/// writing at that moment, so that test's Load could find its own file locked.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessStartingTests
{
    /// <summary>The collection's name.</summary>
    public const string Name = "Tests that start processes";
}
