"""Infrastructure below every app: knows no app of ours, any app may use it."""
