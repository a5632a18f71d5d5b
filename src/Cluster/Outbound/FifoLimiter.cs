namespace Tunnel.Cluster.Outbound;

/// <summary>
/// A limit that requests wait for in arrival order, each for a bounded time: the shape of the
/// node's outbound limits (<see cref="ConnectionSlots"/>, <see cref="BodyBudget"/>). A subclass
/// says what a request needs (<see cref="Fits"/>, <see cref="Take"/>, <see cref="Give"/>, called
/// under the lock) and whether a later request may go ahead of an earlier one that does not fit
/// yet (<see cref="Overtaking"/>); this class keeps the line. A request that was admitted holds a
/// <see cref="Permit"/> until it is disposed. No clock and no I/O: waits end by a timer or a
/// release. Thread-safe.
/// </summary>
public abstract class FifoLimiter<T>
{
    private readonly LinkedList<Waiter> _line = new();

    /// <summary>Guards the subclass's counts as well as the line.</summary>
    protected object Gate { get; } = new();

    /// <summary>True: first fit (a waiter that does not fit lets later ones by); false: strict arrival order.</summary>
    protected abstract bool Overtaking { get; }

    protected abstract bool Fits(T request);
    protected abstract void Take(T request);
    protected abstract void Give(T request);

    /// <summary>Requests waiting right now.</summary>
    public int Waiting
    {
        get { lock (Gate) return _line.Count; }
    }

    /// <summary>Admits <paramref name="request"/> now if it fits and nobody it must not overtake is waiting; null otherwise.</summary>
    public Permit? TryEnter(T request)
    {
        lock (Gate) return TryEnterLocked(request) ? new Permit(this, request) : null;
    }

    /// <summary>
    /// Admits <paramref name="request"/>, waiting in line for at most <paramref name="wait"/>;
    /// null when it did not get in by then, or when <paramref name="withdraw"/> ended the wait
    /// first (the caller no longer needs it: no exception, which costs a hot path dearly).
    /// Cancelling throws, unless it got in meanwhile.
    /// </summary>
    public async Task<Permit?> EnterAsync(T request, TimeSpan wait, CancellationToken cancel, CancellationToken withdraw = default)
    {
        LinkedListNode<Waiter> node;
        lock (Gate)
        {
            if (TryEnterLocked(request)) return new Permit(this, request);
            if (wait <= TimeSpan.Zero) return null;
            node = _line.AddLast(new Waiter(request));
        }
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        deadline.CancelAfter(wait);
        bool admitted;
        await using (deadline.Token.Register(() => GiveUp(node)))
        await using (withdraw.Register(() => GiveUp(node)))
            admitted = await node.Value.Admitted.Task;
        if (admitted) return new Permit(this, request);
        cancel.ThrowIfCancellationRequested();
        return null;
    }

    /// <summary>Lets in the waiters that fit now: for a subclass whose limits were just raised.</summary>
    protected void AdmitWaiting()
    {
        lock (Gate) Admit();
    }

    /// <summary>Whether a waiter would be admitted if <paramref name="held"/> were given back now.</summary>
    protected bool WouldAdmitAfter(T held)
    {
        lock (Gate)
        {
            Give(held);
            try
            {
                foreach (var waiter in _line)
                {
                    if (Fits(waiter.Request)) return true;
                    if (!Overtaking) return false;
                }
                return false;
            }
            finally
            {
                Take(held);
            }
        }
    }

    private bool TryEnterLocked(T request)
    {
        if ((_line.Count > 0 && !Overtaking) || !Fits(request)) return false;
        Take(request);
        return true;
    }

    private void GiveUp(LinkedListNode<Waiter> node)
    {
        lock (Gate)
        {
            if (node.List is null) return; // admitted meanwhile
            _line.Remove(node);
            node.Value.Admitted.TrySetResult(false);
            Admit(); // in strict order the one that gave up may have held up others that fit
        }
    }

    private void Leave(T request)
    {
        lock (Gate)
        {
            Give(request);
            Admit();
        }
    }

    /// <summary>Lets in the waiters that fit now, in arrival order.</summary>
    private void Admit()
    {
        for (var node = _line.First; node is not null;)
        {
            var next = node.Next;
            if (Fits(node.Value.Request))
            {
                Take(node.Value.Request);
                _line.Remove(node);
                node.Value.Admitted.TrySetResult(true); // continuations run elsewhere, never under this lock
            }
            else if (!Overtaking) return;
            node = next;
        }
    }

    private sealed class Waiter(T request)
    {
        public T Request { get; } = request;
        public TaskCompletionSource<bool> Admitted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>What an admitted request holds; disposing it (once counts) gives it back and lets the next waiters in.</summary>
    public sealed class Permit : IDisposable
    {
        private readonly FifoLimiter<T> _limiter;
        private int _disposed;

        internal Permit(FifoLimiter<T> limiter, T request)
        {
            _limiter = limiter;
            Request = request;
        }

        public T Request { get; }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) _limiter.Leave(Request);
        }
    }
}
