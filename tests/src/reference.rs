//! Reference implementations: slow, short and obviously right.
