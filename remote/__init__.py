"""Running ewtui's jobs on Modal: the app (`remote.app`), what a container does for a job
(`remote.worker`), live progress (`remote.relay`) and the backend (`remote.backend`).
Imports `core`, never `textual`; `modal` itself is imported only where it is needed."""
