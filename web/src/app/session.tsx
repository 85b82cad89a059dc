// The signed-in session: the API key (sessionStorage, so it ends with the tab), the client built
// on it, who the key is (GET /whoami), and the live event stream that refreshes queries.
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { QueryClient, useQuery, useQueryClient } from '@tanstack/react-query';
import { ApiError, Client } from '../api/client';
import { connectLive, staleKeys, type LiveState } from '../api/sse';
import type { Whoami } from '../api/types';

const STORAGE_KEY = 'certctl.apiKey';

export function storedKey(): string | null {
  try {
    return sessionStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

interface Session {
  client: Client;
  me: Whoami;
  canWrite: boolean;
  live: LiveState;
  signOut: (reason?: string) => void;
}

const Ctx = createContext<Session | null>(null);

export function useSession(): Session {
  const s = useContext(Ctx);
  if (!s) throw new Error('useSession outside SessionProvider');
  return s;
}

export function useClient(): Client {
  return useSession().client;
}

/// Shows `signIn` until a key is accepted by GET /whoami, then `children` with the session.
export function SessionProvider({ children, signIn, base }: { children: ReactNode; signIn: (p: SignInProps) => ReactNode; base?: string }) {
  const [key, setKey] = useState<string | null>(storedKey);
  const [notice, setNotice] = useState<string | null>(null);
  const qc = useQueryClient();
  const keyRef = useRef(key);
  keyRef.current = key;

  const signOut = useCallback(
    (reason?: string) => {
      try {
        sessionStorage.removeItem(STORAGE_KEY);
      } catch {
        /* storage unavailable */
      }
      setKey(null);
      setNotice(reason ?? null);
      qc.clear();
    },
    [qc],
  );

  const client = useMemo(
    () => new Client({ base, key: () => keyRef.current, onUnauthorized: () => signOut('The server no longer accepts this API key (401). Sign in again.') }),
    [signOut, base],
  );

  const me = useQuery({ queryKey: ['whoami', key], queryFn: () => client.get<Whoami>('/whoami'), enabled: !!key, retry: false });

  const [live, setLive] = useState<LiveState>('connecting');
  useEffect(() => {
    if (!key || !me.data) return;
    let pending = new Set<string>();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const flush = () => {
      const keys = pending;
      pending = new Set();
      timer = undefined;
      keys.forEach((k) => void qc.invalidateQueries({ queryKey: [k] }));
    };
    return connectLive({
      url: client.url('/events'),
      key: () => keyRef.current,
      onEvent: (ev) => {
        staleKeys(ev).forEach((k) => pending.add(k));
        timer ??= setTimeout(flush, 100);
      },
      onResync: () => void qc.invalidateQueries({ predicate: (q) => q.queryKey[0] !== 'whoami' }),
      onState: setLive,
    });
  }, [key, me.data, client, qc]);

  const accept = (k: string) => {
    try {
      sessionStorage.setItem(STORAGE_KEY, k);
    } catch {
      /* storage unavailable: the key lives in memory for this page */
    }
    setNotice(null);
    if (k === key) void me.refetch();
    else setKey(k);
  };

  if (!key || me.isError || !me.data) {
    const err = me.error instanceof ApiError ? me.error : null;
    const message = !key ? notice : err ? (err.status === 401 ? 'That API key was not accepted.' : err.message) : null;
    return <>{signIn({ onKey: accept, checking: !!key && me.isLoading, message })}</>;
  }
  const value: Session = { client, me: me.data, canWrite: me.data.can_write, live, signOut };
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

export interface SignInProps {
  onKey: (key: string) => void;
  checking: boolean;
  message: string | null;
}

/// Queries change only when the event stream says so (or on a mutation): no polling, no
/// refetch on focus.
export function makeQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: Infinity,
        refetchOnWindowFocus: false,
        retry: (n, e) => !(e instanceof ApiError && e.status >= 400 && e.status < 500) && n < 2,
      },
    },
  });
}
