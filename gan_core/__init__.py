"""gan_core: everything the app computes, free of Streamlit.

Modules are imported on demand; importing ``gan_core`` itself pulls in neither torch nor
Streamlit, so the 1-D lessons start fast.
"""
