"""Entry point: `streamlit run app.py` (or scripts/app.sh).  Builds the navigation from the lesson list."""
import streamlit as st

from pages.ui.chrome import LESSONS, finish_page, presenter_mode_controls, start_page
from pages.ui.presenter import finish_lesson, lesson_bar, start_lesson

st.set_page_config(page_title="GANs from the ground up", page_icon="assets/favicon.png", layout="wide")

home = st.Page("pages/home.py", title="Start here", icon=":material/home:", default=True)
sections: dict[str, list] = {"": [home]}
for lesson in LESSONS:
    sections.setdefault(lesson.section, []).append(
        st.Page(lesson.path, title=lesson.title, icon=lesson.icon, url_path=lesson.url_path)
    )
# Reference pages come after the lessons; they are not on the guided path (LESSONS) and its "next" links.
sections["Reference"] = [
    st.Page("pages/glossary.py", title="Glossary of symbols", icon=":material/menu_book:", url_path="glossary"),
]
page = st.navigation(sections)
presenter_mode_controls()
lesson_bar(page)
start_page()
start_lesson()
page.run()
finish_page()
finish_lesson(page)
