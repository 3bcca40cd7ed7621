"""颐养 Yiyang: elderly-care service platform (Django modular monolith)."""
